"""Plain descriptions of what the engine talks to: a company scope and a server.

A :class:`ServerSpec` is everything needed to reach one MCP server, built by the
adapter from a record. It is immutable and hashable so it can key pools and
caches. Its ``repr`` never shows header or environment values: specs end up in
tracebacks and log lines.
"""

import dataclasses
import functools
import hashlib
import json
import re
from urllib.parse import urlsplit

from . import redaction
from .errors import ConfigurationError

TRANSPORTS = ("stdio", "streamable_http", "sse")
# Seconds a server gets to start (see ServerSpec.start_timeout).
DEFAULT_START_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class CacheScope:
    """One company of one database: the unit of isolation for keys and streams."""

    db: str
    company_id: int

    @property
    def hash_tag(self):
        # Braces make this a Redis Cluster hash tag: one company's keys share a slot.
        return "{%s:%s}" % (self.db, self.company_id)

    def key(self, kind, ident):
        return "mcp_crew:%s:%s:%s" % (self.hash_tag, kind, ident)


_CREDENTIAL_HEADER = re.compile(r"auth|token|key|secret|password|cookie|session", re.I)


@dataclasses.dataclass(frozen=True, repr=False)
class ServerSpec:
    scope: CacheScope
    server_id: int
    name: str
    transport: str
    command: str = ""
    args: tuple = ()
    # (name, value) pairs; tuples keep the spec hashable.
    env: tuple = ()
    url: str = ""
    headers: tuple = ()
    # Bounds each request (a tool call, a listing).
    timeout: float = 10.0
    # Bounds starting a session: spawning a stdio process and `initialize`.
    # Separate and longer, as `npx`/`uvx` servers take seconds to start (and
    # much longer on a busy machine); never below `timeout`.
    start_timeout: float = DEFAULT_START_TIMEOUT
    cache_ttl: int = 1800
    # Bumped by the adapter on every configuration edit; part of the fingerprint
    # so every worker notices an edit without a shared invalidation channel.
    revision: str = "0"

    def __post_init__(self):
        if self.transport not in TRANSPORTS:
            raise ConfigurationError(
                "MCP server %s: unknown transport %r (expected one of %s)"
                % (self.label, self.transport, ", ".join(TRANSPORTS))
            )
        if self.transport == "stdio" and not self.command:
            raise ConfigurationError("MCP server %s: a stdio server needs a command" % self.label)
        if self.transport != "stdio":
            parts = urlsplit(self.url or "")
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigurationError(
                    "MCP server %s: %r is not an http(s) URL" % (self.label, self.url)
                )
        if not self.timeout or self.timeout <= 0:
            raise ConfigurationError("MCP server %s: the timeout must be positive" % self.label)
        if not self.start_timeout or self.start_timeout <= 0:
            raise ConfigurationError(
                "MCP server %s: the start-up timeout must be positive" % self.label
            )
        if not self.cache_ttl or self.cache_ttl <= 0:
            raise ConfigurationError("MCP server %s: the cache TTL must be positive" % self.label)
        # Environment values and credential headers are secrets wherever they end up.
        for _name, value in self.env:
            redaction.protect(value)
        for name, value in self.headers:
            if _CREDENTIAL_HEADER.search(name):
                redaction.protect_credential(value)

    @property
    def label(self):
        return "%s (#%s)" % (self.name, self.server_id)

    @property
    def start_bound(self):
        """Seconds a session may take to start (never less than a request)."""
        return max(self.start_timeout, self.timeout)

    def budget(self, requests=1):
        """Seconds an operation of ``requests`` sequential requests may take,
        starting a session first included."""
        return self.start_bound + self.timeout * requests

    @functools.cached_property
    def fingerprint(self):
        """Identifies the configuration without exposing secret values.

        Computed once per spec (every catalog lookup compares it; the adapter
        keeps specs between calls).

        Header and env values are left out on purpose: fingerprints are stored
        in Redis. The revision covers edits of those values.
        """
        public = [
            self.transport,
            self.command,
            list(self.args),
            self.url,
            sorted(name for name, _value in self.env),
            sorted(name for name, _value in self.headers),
            self.revision,
        ]
        encoded = json.dumps(public, separators=(",", ":")).encode()
        return hashlib.sha1(encoded).hexdigest()[:16]

    def catalog_key(self):
        return self.scope.key("catalog", self.server_id)

    @property
    def display_target(self):
        """Command or URL without credentials or query string."""
        if self.transport == "stdio":
            return self.command
        parts = urlsplit(self.url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return "%s://%s%s" % (parts.scheme, netloc, parts.path)

    def __repr__(self):
        target = self.display_target
        return "ServerSpec(%s, %s, %s, company=%s)" % (
            self.label,
            self.transport,
            target,
            self.scope.company_id,
        )

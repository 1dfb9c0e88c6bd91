"""Process-wide engine configuration: the infrastructure tier.

Values come from the ``[mcp_crew]`` section of odoo.conf, each overridable by an
``MCP_CREW_<KEY>`` environment variable (the environment wins, so containers can
inject secrets without touching the file). Functional knobs that differ per
database (TTLs per kind, default timeouts) are declared in
:mod:`.functional_settings`; the adapter passes them inside each
:class:`~.spec.ServerSpec`.
"""

import dataclasses
from urllib.parse import urlsplit, urlunsplit

from . import network_policy, stdio_policy
from .errors import ConfigurationError

ENV_PREFIX = "MCP_CREW_"

# Seed §3.3: stable kinds keep their catalog for hours, volatile ones minutes.
DEFAULT_TTL_BY_KIND = {
    "database": 6 * 3600,
    "erp": 4 * 3600,
    "vector_search": 2 * 3600,
    "cache": 3600,
    "other": 1800,
    "crm_helpdesk": 900,
    "external_api": 300,
}


@dataclasses.dataclass(frozen=True)
class EngineSettings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis sits on the request path: a slow or dead Redis must cost little.
    redis_socket_timeout: float = 0.5
    redis_retry_interval: float = 5.0
    l1_max_entries: int = 2048
    # Bounds how long another worker may serve a catalog this worker replaced.
    l1_ttl: float = 30.0
    gzip_threshold: int = 16 * 1024
    # How long the last good catalog stays available to serve as stale.
    stale_retention: int = 7 * 24 * 3600
    circuit_failure_threshold: int = 3
    circuit_reset_timeout: float = 30.0
    # Idle pooled sessions (and their stdio processes) are closed after this.
    session_idle_timeout: float = 600.0
    # Bearer token of /mcp_crew/metrics; empty = the endpoint is off. A secret.
    metrics_token: str = ""
    # Non-public hosts/networks MCP servers may be reached at (network_policy).
    allowed_hosts: str = ""
    # Commands managers may register as stdio servers (stdio_policy); "" = admins only.
    stdio_commands: str = ""

    @classmethod
    def from_sources(cls, conf_section=None, environ=None):
        """Build settings from an odoo.conf section (a dict) and the environment."""
        conf_section = conf_section or {}
        environ = environ or {}
        values = {}
        for field in dataclasses.fields(cls):
            raw = configured(field.name, conf_section, environ)
            if raw is not None:
                values[field.name] = _coerce(field, raw)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self):
        if self.redis_url and urlsplit(self.redis_url).scheme not in (
            "redis",
            "rediss",
            "unix",
        ):
            raise ConfigurationError(
                "mcp_crew redis_url must start with redis://, rediss:// or unix://"
            )
        for name in ("l1_max_entries", "circuit_failure_threshold"):
            if getattr(self, name) < 1:
                raise ConfigurationError("mcp_crew %s must be at least 1" % name)
        for name in ("redis_socket_timeout", "l1_ttl", "circuit_reset_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigurationError("mcp_crew %s must be positive" % name)
        network_policy.parse(self.allowed_hosts)

    @property
    def network_policy(self):
        return network_policy.parse(self.allowed_hosts)

    @property
    def stdio_commands_allowed(self):
        return stdio_policy.parse_commands(self.stdio_commands)

    @property
    def redis_url_redacted(self):
        """The Redis URL with any password replaced, safe for logs and the UI."""
        if not self.redis_url:
            return ""
        parts = urlsplit(self.redis_url)
        if parts.password is None:
            return self.redis_url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc="%s:***@%s" % (user, netloc)))


def configured(name, conf_section, environ):
    """``MCP_CREW_<NAME>`` from ``environ``, else ``name`` from the odoo.conf
    section; ``None`` when neither holds a non-empty value."""
    for raw in (environ.get(ENV_PREFIX + name.upper()), conf_section.get(name)):
        if raw is not None and raw != "":
            return raw
    return None


def _coerce(field, value):
    # Annotations are strings only under ``from __future__ import annotations``;
    # here they are the builtin types themselves.
    try:
        return field.type(value)
    except (TypeError, ValueError) as err:
        raise ConfigurationError(
            "mcp_crew setting %s: %r is not a valid %s" % (field.name, value, field.type.__name__)
        ) from err

"""Every error the engine raises, defined once.

Adapters map these to their own world in one place (Odoo: ``mcp_crew.error_mapping``);
the engine never raises bare SDK, httpx or redis exceptions to its callers.
Messages are safe to show to users: they never contain header or env values.
"""


class McpCrewError(Exception):
    """Base class: anything the engine refuses or could not do."""


class ConfigurationError(McpCrewError):
    """A server specification or a setting is invalid (nothing was contacted)."""


class ServerUnavailable(McpCrewError):
    """The MCP server could not be reached, closed the connection or broke the protocol."""

    def __init__(self, server_label, reason):
        super().__init__("MCP server %s is unavailable: %s" % (server_label, reason))
        self.server_label = server_label
        self.reason = reason


class DestinationRefused(McpCrewError):
    """The network policy forbids connecting there; nothing was sent."""

    def __init__(self, host, reason):
        super().__init__("destination %s is not allowed: %s" % (host, reason))
        self.host = host
        self.reason = reason


class ServerTimeout(ServerUnavailable):
    """The MCP server did not answer within its timeout."""

    def __init__(self, server_label, timeout, operation):
        super().__init__(server_label, "no answer to %s within %.1f s" % (operation, timeout))
        self.timeout = timeout
        self.operation = operation


class CircuitOpen(ServerUnavailable):
    """Calls to the server are suspended after repeated failures."""

    def __init__(self, server_label, retry_in):
        super().__init__(
            server_label,
            "suspended after repeated failures, next attempt in %.0f s" % retry_in,
        )
        self.retry_in = retry_in


class ToolNotFound(McpCrewError):
    """The tool is not in the server's catalog."""


class ToolDisabled(McpCrewError):
    """An administrator switched the tool off, or it vanished from the server."""


class InvalidArguments(McpCrewError):
    """Tool arguments do not match the tool's input schema; nothing was sent."""

    def __init__(self, tool_name, field_path, problem):
        where = field_path or "(arguments)"
        super().__init__("Invalid arguments for tool %s: %s: %s" % (tool_name, where, problem))
        self.tool_name = tool_name
        self.field_path = field_path
        self.problem = problem


class RedisUnavailable(McpCrewError):
    """Redis could not be reached (or is in its retry back-off); nothing was written to it."""


class EmbeddingsUnavailable(McpCrewError):
    """The embeddings endpoint failed, timed out or answered something unusable."""


class InvalidRequest(McpCrewError):
    """A request is malformed (empty message, bad tool command); nothing was run."""


class LlmUnavailable(McpCrewError):
    """The LLM is not configured, could not be reached or answered something unusable."""


class LlmAnswerUnusable(McpCrewError):
    """The model's final answer is no answer: a tool call written as text, empty, or
    its reasoning scaffolding. ``kind`` names which; the message says what to change."""

    def __init__(self, model, reason, hint, kind="", usage=None):
        super().__init__("The model %s gave no usable answer: %s. %s" % (model, reason, hint))
        self.model = model
        self.kind = kind
        # The tokens spent all the same: quotas and costs count them.
        self.usage = usage


class SignInFailed(McpCrewError):
    """Connecting an OAuth server failed (discovery, registration, the callback):
    nothing was stored; the administrator may try again."""


class SignInRequired(ServerUnavailable):
    """An OAuth server has no usable token (never connected, revoked, refresh
    refused): a system administrator must connect it again, or with per-user
    sign-in the requester his account (``remedy`` says so). Its catalog stays."""

    def __init__(self, reason, server_label=None, remedy=None):
        McpCrewError.__init__(
            self,
            "MCP server %s needs sign-in: %s; %s"
            % (
                server_label or "(OAuth)",
                reason,
                remedy or "a system administrator must connect it again",
            ),
        )
        self.server_label = server_label
        self.reason = reason


class OAuthUnavailable(ServerUnavailable):
    """The authorization server could not be reached; the connection is kept."""

    def __init__(self, reason, server_label=None):
        super().__init__(server_label or "(OAuth)", "authorization server: %s" % reason)

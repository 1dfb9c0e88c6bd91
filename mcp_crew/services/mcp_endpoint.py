"""The protocol side of Odoo's own MCP server: streamable HTTP, stateless.

The web adapter hands over the body and headers of each HTTP request and a
:class:`Backend` (what the authenticated user may list, read and call); this
module answers with an :class:`HttpReply`. It implements the MCP
streamable HTTP transport in its stateless form, which suits Odoo: any worker
answers any request, no session lives in memory.

- ``POST``: one JSON-RPC message (or, for 2025-03-26 clients, a batch).
  Notifications and responses only → ``202 Accepted``, no body; requests →
  ``200`` with ``application/json``.
- ``GET`` (a server-to-client stream) and ``DELETE`` (end a session) → ``405``:
  there are no sessions and nothing to push.
- Protocol versions: ``initialize`` gets the client's version back when it is
  one of ours, else our newest; a later request whose
  ``MCP-Protocol-Version`` header names a version we do not speak gets 400.

Errors follow MCP: a malformed message or unknown method is a JSON-RPC error;
a tool that fails (or refuses its arguments) answers a result with
``isError`` so the model can read why.
"""

import base64
import dataclasses
import json
import logging

from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
from mcp.types import (  # JSON-RPC error codes, re-exported for the adapter
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LATEST_PROTOCOL_VERSION,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
)

_logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# Input bounds: a body larger than this is refused unread (413), and so is
# JSON nested deeper (no MCP message needs more; Python's parser would hit
# its recursion limit first).
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32


class ProtocolError(Exception):
    """Answered as a JSON-RPC error with ``code``."""

    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.data = data


class ToolFailure(Exception):
    """The tool ran (or refused its input) and failed: answered with ``isError``."""


class Backend:
    """What one authenticated caller may see and do; the adapter implements it.

    List methods return MCP-shaped dicts (``name``, ``description``,
    ``inputSchema``…). ``call_tool`` returns ``{"content": [...],
    "structuredContent": {...}?}`` or raises :class:`ToolFailure`; unknown
    names raise :class:`ProtocolError` with ``INVALID_PARAMS``.
    """

    def server_info(self):
        return {"name": "odoo", "version": "16.0"}

    def instructions(self):
        return None

    def list_tools(self):
        return []

    def call_tool(self, name, arguments):
        raise ProtocolError(INVALID_PARAMS, "Unknown tool: %s" % name)

    def list_resources(self):
        return []

    def list_resource_templates(self):
        return []

    def read_resource(self, uri):
        raise ProtocolError(INVALID_PARAMS, "Unknown resource: %s" % uri)

    def list_prompts(self):
        return []

    def get_prompt(self, name, arguments):
        raise ProtocolError(INVALID_PARAMS, "Unknown prompt: %s" % name)


@dataclasses.dataclass
class HttpReply:
    status: int
    body: bytes = b""
    headers: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def json(cls, payload, status=200):
        return cls(
            status,
            json.dumps(payload, ensure_ascii=False, default=str).encode(),
            {"Content-Type": "application/json"},
        )


def error_reply(status, code, message, request_id=None):
    """An HTTP error carrying a JSON-RPC error body (e.g. 401 from the adapter)."""
    return HttpReply.json(_error(request_id, code, message), status)


def method_not_allowed():
    """GET (a server-to-client stream) and DELETE (end a session): no sessions here."""
    return HttpReply(405, headers={"Allow": "POST"})


def body_too_large(limit):
    """413 for a body over ``limit`` bytes (the adapter refuses it before reading)."""
    return error_reply(
        413, INVALID_REQUEST, "Request body too large: at most %d bytes are accepted" % limit
    )


def nesting_depth(value, limit):
    """Depth of nested lists and objects in ``value``, counted up to ``limit + 1``."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, (dict, list)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
    return deepest


def handle_post(body, headers, backend, max_body=MAX_BODY_BYTES):
    """Answer one POST to the MCP endpoint; ``headers`` with lower-case names.

    ``body`` may be read up to ``max_body + 1`` bytes: more is refused (413).
    """
    if len(body or b"") > max_body:
        return body_too_large(max_body)
    version = headers.get("mcp-protocol-version")
    if version and version not in SUPPORTED_PROTOCOL_VERSIONS:
        return error_reply(
            400,
            INVALID_REQUEST,
            "Unsupported MCP-Protocol-Version %s; supported: %s"
            % (version, ", ".join(SUPPORTED_PROTOCOL_VERSIONS)),
        )
    try:
        payload = json.loads(body or b"")
    except RecursionError:
        return _too_deep()
    except ValueError as err:
        return error_reply(400, PARSE_ERROR, "Parse error: %s" % err)
    if nesting_depth(payload, MAX_DEPTH) > MAX_DEPTH:
        return _too_deep()
    batch = isinstance(payload, list)
    messages = payload if batch else [payload]
    if not messages:
        return error_reply(400, INVALID_REQUEST, "Empty batch")
    replies = [reply for reply in (_dispatch(message, backend) for message in messages) if reply]
    if not replies:
        return HttpReply(202)
    return HttpReply.json(replies if batch else replies[0])


def _too_deep():
    return error_reply(
        400, INVALID_REQUEST, "JSON nested too deeply: at most %d levels are accepted" % MAX_DEPTH
    )


def _dispatch(message, backend):
    """The reply to one message, or None for notifications and responses."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _error(None, INVALID_REQUEST, "Not a JSON-RPC 2.0 message")
    method = message.get("method")
    if method is None:
        return None  # a response to something we never ask: nothing to do
    request_id = message.get("id")
    if "id" not in message:
        return None  # notifications need no answer (initialized, cancelled, ...)
    if not isinstance(method, str) or not isinstance(request_id, (str, int)):
        return _error(request_id, INVALID_REQUEST, "Invalid method or id")
    params = message.get("params") or {}
    if not isinstance(params, dict):
        return _error(request_id, INVALID_PARAMS, "params must be an object")
    handler = _METHODS.get(method)
    if handler is None:
        return _error(request_id, METHOD_NOT_FOUND, "Method not found: %s" % method)
    try:
        result = handler(backend, params)
    except ProtocolError as err:
        return _error(request_id, err.code, str(err), err.data)
    except Exception:  # noqa: BLE001 - a bug must answer an error, not drop the connection
        _logger.exception("mcp_crew: MCP endpoint failed on %s", method)
        return _error(request_id, INTERNAL_ERROR, "Internal error")
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id, code, message, data=None):
    error = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def _initialize(backend, params):
    requested = params.get("protocolVersion")
    version = requested if requested in SUPPORTED_PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION
    result = {
        "protocolVersion": version,
        "capabilities": {
            "tools": {"listChanged": False},
            "resources": {"subscribe": False, "listChanged": False},
            "prompts": {"listChanged": False},
        },
        "serverInfo": backend.server_info(),
    }
    instructions = backend.instructions()
    if instructions:
        result["instructions"] = instructions
    return result


def _paged(key, items, params):
    """One page of ``items`` under ``key``, with an opaque cursor for the next."""
    cursor = params.get("cursor")
    start = 0
    if cursor:
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        except (ValueError, TypeError, AttributeError) as err:
            raise ProtocolError(INVALID_PARAMS, "Invalid cursor") from err
    page = {key: items[start : start + PAGE_SIZE]}
    if start + PAGE_SIZE < len(items):
        page["nextCursor"] = base64.urlsafe_b64encode(str(start + PAGE_SIZE).encode()).decode()
    return page


def _required_string(params, name):
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ProtocolError(INVALID_PARAMS, "params.%s must be a non-empty string" % name)
    return value


def _optional_object(params, name):
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(INVALID_PARAMS, "params.%s must be an object" % name)
    return value


def _call_tool(backend, params):
    name = _required_string(params, "name")
    arguments = _optional_object(params, "arguments")
    try:
        result = backend.call_tool(name, arguments)
    except ToolFailure as err:
        return {"content": [{"type": "text", "text": str(err)}], "isError": True}
    result.setdefault("isError", False)
    return result


_METHODS = {
    "initialize": _initialize,
    "ping": lambda backend, params: {},
    "tools/list": lambda backend, params: _paged("tools", backend.list_tools(), params),
    "tools/call": _call_tool,
    "resources/list": lambda backend, params: _paged("resources", backend.list_resources(), params),
    "resources/templates/list": lambda backend, params: _paged(
        "resourceTemplates", backend.list_resource_templates(), params
    ),
    "resources/read": lambda backend, params: {
        "contents": backend.read_resource(_required_string(params, "uri"))
    },
    "prompts/list": lambda backend, params: _paged("prompts", backend.list_prompts(), params),
    "prompts/get": lambda backend, params: backend.get_prompt(
        _required_string(params, "name"), _optional_object(params, "arguments")
    ),
}

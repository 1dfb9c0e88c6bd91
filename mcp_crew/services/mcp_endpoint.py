"""The protocol side of Odoo's own MCP server: streamable HTTP, stateless.

The web adapter hands over the body and headers of each HTTP request and a
:class:`Backend` (what the authenticated caller may list, read and call); this
module answers with an :class:`HttpReply`. Any worker answers any request, no
session lives in memory. Two eras of MCP are served on the same endpoint, the
request deciding which:

- **2026-07-28** (modern): a request whose ``_meta`` (or
  ``MCP-Protocol-Version`` header) names it. No handshake: each request carries
  its version and the client's capabilities in ``_meta``; the
  ``MCP-Protocol-Version``, ``Mcp-Method`` and ``Mcp-Name`` headers must mirror
  the body (else ``HeaderMismatch``, 400); ``server/discover`` describes the
  server; results carry ``resultType``, the server's identity in ``_meta`` and,
  for lists and reads, ``ttlMs``/``cacheScope`` from :meth:`Backend.freshness`;
  an unknown method is a 404. A tool that changes data asks the user to
  confirm it through an ``input_required`` result (an elicitation) and runs
  when the retry carries the answer (see :func:`_confirm_write`).
- **2024-11-05 … 2025-11-25** (legacy): ``initialize`` gets the client's
  version back when it is one of ours, else our newest; one JSON-RPC message or
  (2025-03-26) a batch; a request without a version header is 2025-03-26.

Both: a browser ``Origin`` we do not know → 403; notifications → ``202
Accepted``; ``GET`` and ``DELETE`` → ``405`` (no sessions, nothing to push);
a version we do not speak → 400 ``UnsupportedProtocolVersion`` listing ours;
tools are listed in name order.
A malformed message or unknown method is a JSON-RPC error; a tool that fails
(or refuses its arguments) answers a result with ``isError`` so the model can
read why.
"""

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import time

from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS as LEGACY_VERSIONS
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
MODERN_VERSION = "2026-07-28"
MODERN_VERSIONS = (MODERN_VERSION,)
# Newest first, as server/discover and UnsupportedProtocolVersion list them.
SUPPORTED_VERSIONS = MODERN_VERSIONS + tuple(reversed(LEGACY_VERSIONS))
# Error codes of 2026-07-28 (the MCP SDK 1.x predates them).
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
# The body field each method's Mcp-Name header mirrors.
NAMED_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
# What a credential lets tools that change data do (Backend.write_access).
WRITES_READ_ONLY = "read"  # refused
WRITES_CONFIRM = "confirm"  # confirmed by the user through the host; refused if it cannot ask
WRITES_ALLOW = "allow"  # confirmed through hosts that can ask, run by those that cannot
CONFIRM_KEY = "confirm"  # the key of our one input request, and of its field
CONFIRMATION_TTL = 15 * 60  # seconds a confirmation request stays valid
FORM_ELICITATION = {"elicitation": {"form": {}}}
# Input bounds: a body larger than this is refused unread (413), and so is
# JSON nested deeper (no MCP message needs more; Python's parser would hit
# its recursion limit first).
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32


class ProtocolError(Exception):
    """Answered as a JSON-RPC error with ``code`` (and HTTP ``status``, 2026-07-28)."""

    def __init__(self, code, message, data=None, status=None):
        super().__init__(message)
        self.code = code
        self.data = data
        self.status = status


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

    def freshness(self, method):
        """``(ttl_ms, cache_scope)`` of a cacheable result: how long a client may
        keep it, and whether it is the same for every caller (``"public"``)."""
        return 0, "private"

    def allowed_origins(self):
        """Browser origins (``scheme://host[:port]``) that may call the endpoint.

        Any other ``Origin`` header is refused (403): a page that rebinds its
        DNS name to this server cannot talk to it (DNS rebinding). Clients
        outside browsers send no ``Origin``."""
        return ()

    def write_access(self):
        """What the caller's credential lets tools that change data do: one of
        :data:`WRITES_READ_ONLY`, :data:`WRITES_CONFIRM`, :data:`WRITES_ALLOW`."""
        return WRITES_CONFIRM

    def principal(self):
        """Who is calling (user and credential): a confirmation is bound to it."""
        raise NotImplementedError

    def sign(self, message):
        """A keyed MAC (hex) of ``message`` (bytes) with a secret of the server."""
        raise NotImplementedError

    def consume_confirmation(self, nonce, expires_at):
        """Record that confirmation ``nonce`` was used; False when it already was."""
        raise NotImplementedError

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


@dataclasses.dataclass(frozen=True)
class Context:
    """What one request says about itself: its protocol era and the client's
    capabilities (2026-07-28 declares them per request; legacy sessions cannot
    be asked anything by this stateless server)."""

    version: str
    capabilities: dict = dataclasses.field(default_factory=dict)

    @property
    def modern(self):
        return self.version in MODERN_VERSIONS

    def can_elicit_form(self):
        """Form elicitation declared (an empty ``elicitation`` object means form)."""
        elicitation = self.capabilities.get("elicitation")
        return isinstance(elicitation, dict) and (not elicitation or "form" in elicitation)


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


def error_reply(status, code, message, request_id=None, data=None):
    """An HTTP error carrying a JSON-RPC error body (e.g. 401 from the adapter)."""
    return HttpReply.json(_error(request_id, code, message, data), status)


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
    origin = headers.get("origin")
    if origin is not None and origin.rstrip("/") not in backend.allowed_origins():
        return error_reply(403, INVALID_REQUEST, "Forbidden: origin %s is not allowed" % origin)
    if len(body or b"") > max_body:
        return body_too_large(max_body)
    try:
        payload = json.loads(body or b"")
    except RecursionError:
        return _too_deep()
    except ValueError as err:
        return error_reply(400, PARSE_ERROR, "Parse error: %s" % err)
    if nesting_depth(payload, MAX_DEPTH) > MAX_DEPTH:
        return _too_deep()
    header_version = headers.get("mcp-protocol-version")
    meta_version = _meta(payload).get(META_VERSION) if isinstance(payload, dict) else None
    version = meta_version or header_version or "2025-03-26"
    if version not in SUPPORTED_VERSIONS:
        request_id = payload.get("id") if isinstance(payload, dict) else None
        return error_reply(
            400,
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version %s; supported: %s"
            % (version, ", ".join(SUPPORTED_VERSIONS)),
            request_id,
            {"supported": list(SUPPORTED_VERSIONS), "requested": version},
        )
    if version in MODERN_VERSIONS:
        return _handle_modern(payload, headers, backend)
    if meta_version and header_version and meta_version != header_version:
        return _header_mismatch(payload.get("id"), "MCP-Protocol-Version", header_version)
    context = Context(version)
    batch = isinstance(payload, list)
    messages = payload if batch else [payload]
    if not messages:
        return error_reply(400, INVALID_REQUEST, "Empty batch")
    replies = [
        reply
        for reply in (
            _dispatch(message, backend, context, _LEGACY_METHODS)[0] for message in messages
        )
        if reply
    ]
    if not replies:
        return HttpReply(202)
    return HttpReply.json(replies if batch else replies[0])


def _too_deep():
    return error_reply(
        400, INVALID_REQUEST, "JSON nested too deeply: at most %d levels are accepted" % MAX_DEPTH
    )


def _handle_modern(message, headers, backend):
    """One 2026-07-28 message: its metadata and headers checked, then answered."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return error_reply(400, INVALID_REQUEST, "Not one JSON-RPC 2.0 message (no batches)")
    method = message.get("method")
    if not isinstance(method, str):
        return error_reply(400, INVALID_REQUEST, "Clients send requests and notifications only")
    if "id" not in message:
        return HttpReply(202)
    request_id = message.get("id")
    meta = _meta(message)
    capabilities = meta.get(META_CAPABILITIES)
    if not isinstance(capabilities, dict) or not isinstance(meta.get(META_VERSION), str):
        return error_reply(
            400,
            INVALID_PARAMS,
            "params._meta must carry %s and %s" % (META_VERSION, META_CAPABILITIES),
            request_id,
        )
    mismatch = _check_headers(message, headers, meta[META_VERSION])
    if mismatch:
        return _header_mismatch(request_id, *mismatch)
    reply, status = _dispatch(
        message, backend, Context(meta[META_VERSION], capabilities), _MODERN_METHODS
    )
    if "result" in reply:
        _complete(reply["result"], method, message.get("params") or {}, backend)
    return HttpReply.json(reply, status)


def _meta(message):
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return meta if isinstance(meta, dict) else {}


def _check_headers(message, headers, version):
    """``(header, value)`` of the first standard header that is missing or
    contradicts the body, else None."""
    expected = {"MCP-Protocol-Version": version, "Mcp-Method": message.get("method")}
    field = NAMED_METHODS.get(message.get("method"))
    if field:
        params = message.get("params")
        expected["Mcp-Name"] = params.get(field) if isinstance(params, dict) else None
    for header, value in expected.items():
        sent = headers.get(header.lower())
        if sent is None or _header_value(sent) != value:
            return header, sent
    return None


def _header_value(value):
    """A header value, decoded when it uses the ``=?base64?…?=`` sentinel."""
    if value.startswith("=?base64?") and value.endswith("?=") and len(value) >= 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    if any(not (" " <= char <= "~" or char == "\t") for char in value):
        return None
    return value


def _header_mismatch(request_id, header, sent):
    problem = "missing" if sent is None else "%r does not match the request body" % sent
    return error_reply(
        400, HEADER_MISMATCH, "Header mismatch: %s %s" % (header, problem), request_id
    )


def _dispatch(message, backend, context, methods):
    """``(reply, http_status)`` for one message; reply None for notifications."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _error(None, INVALID_REQUEST, "Not a JSON-RPC 2.0 message"), 200
    method = message.get("method")
    if method is None:
        return None, 202  # a response to something we never ask: nothing to do
    request_id = message.get("id")
    if "id" not in message:
        return None, 202  # notifications need no answer (initialized, cancelled, ...)
    if not isinstance(method, str) or not isinstance(request_id, (str, int)):
        return _error(request_id, INVALID_REQUEST, "Invalid method or id"), 200
    params = message.get("params") or {}
    if not isinstance(params, dict):
        return _error(request_id, INVALID_PARAMS, "params must be an object"), 200
    handler = methods.get(method)
    if handler is None:
        status = 404 if context.modern else 200
        return _error(request_id, METHOD_NOT_FOUND, "Method not found: %s" % method), status
    try:
        result = handler(backend, params, context)
    except ProtocolError as err:
        return _error(request_id, err.code, str(err), err.data), (err.status or 200)
    except Exception:  # noqa: BLE001 - a bug must answer an error, not drop the connection
        _logger.exception("mcp_crew: MCP endpoint failed on %s", method)
        return _error(request_id, INTERNAL_ERROR, "Internal error"), 200
    return {"jsonrpc": "2.0", "id": request_id, "result": result}, 200


def _error(request_id, code, message, data=None):
    error = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


# Results whose freshness a client may cache (2026-07-28), by method.
CACHEABLE = (
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
)


def _complete(result, method, params, backend):
    """The 2026-07-28 fields of a result: its type, our identity and, for a
    cacheable one (not a retry carrying input), its freshness."""
    result.setdefault("resultType", "complete")
    result.setdefault("_meta", {})[META_SERVER_INFO] = backend.server_info()
    retried = "inputResponses" in params or "requestState" in params
    if result["resultType"] == "complete" and method in CACHEABLE and not retried:
        ttl_ms, scope = backend.freshness(method)
        result["ttlMs"] = max(0, int(ttl_ms))
        result["cacheScope"] = scope


def _capabilities():
    return {
        "tools": {"listChanged": False},
        "resources": {"subscribe": False, "listChanged": False},
        "prompts": {"listChanged": False},
    }


def _initialize(backend, params, _context):
    requested = params.get("protocolVersion")
    version = requested if requested in LEGACY_VERSIONS else LATEST_PROTOCOL_VERSION
    result = {
        "protocolVersion": version,
        "capabilities": _capabilities(),
        "serverInfo": backend.server_info(),
    }
    instructions = backend.instructions()
    if instructions:
        result["instructions"] = instructions
    return result


def _discover(backend, _params, _context):
    result = {"supportedVersions": list(SUPPORTED_VERSIONS), "capabilities": _capabilities()}
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


def _list_tools(backend, params, _context):
    """Tools in name order: the same list every time, so clients' caches hit."""
    return _paged("tools", sorted(backend.list_tools(), key=lambda tool: tool["name"]), params)


def _call_tool(backend, params, context):
    name = _required_string(params, "name")
    arguments = _optional_object(params, "arguments")
    tool = next((tool for tool in backend.list_tools() if tool["name"] == name), None)
    if tool is not None and not (tool.get("annotations") or {}).get("readOnlyHint"):
        pending = _confirm_write(backend, tool, arguments, params, context)
        if pending is not None:
            return pending
    try:
        result = backend.call_tool(name, arguments)
    except ToolFailure as err:
        return _tool_error(str(err))
    result.setdefault("isError", False)
    return result


def _tool_error(text):
    return {"content": [{"type": "text", "text": text}], "isError": True}


def _confirm_write(backend, tool, arguments, params, context):
    """None when a tool that changes data may run now, else what to answer.

    A read-only credential is refused. Otherwise a 2026-07-28 host that
    declares form elicitation asks its user: an ``input_required`` result, and
    the retry runs the tool when it carries their yes and our ``requestState``
    (signed, bound to the caller, the tool and its arguments, short-lived, used
    once). A host that cannot ask runs it only if the credential was granted
    writes; otherwise it is refused with the reason and the way out.
    """
    name = tool["name"]
    access = backend.write_access()
    if access == WRITES_READ_ONLY:
        return _tool_error(
            "Refused: %s changes data and your credential only grants reading. "
            "Sign in again granting writes, or use an API key created with writes allowed." % name
        )
    if not context.can_elicit_form():
        if access == WRITES_ALLOW:
            return None
        reason = (
            "%s changes data and needs your confirmation, but this MCP host cannot ask you "
            "(it does not declare form elicitation%s). Use a host that does, or an API key "
            "created with writes allowed."
            % (name, "" if context.modern else " with protocol %s" % MODERN_VERSION)
        )
        if context.modern:
            raise ProtocolError(
                MISSING_REQUIRED_CLIENT_CAPABILITY,
                reason,
                {"requiredCapabilities": FORM_ELICITATION},
                status=400,
            )
        return _tool_error("Refused: " + reason)
    digest = _call_digest(name, arguments)
    if "requestState" not in params:
        return _ask(backend, tool, arguments, digest)
    state = _verified_state(backend, params.get("requestState"), digest)
    answer = (params.get("inputResponses") or {}).get(CONFIRM_KEY)
    if not isinstance(answer, dict) or answer.get("action") not in ("accept", "decline", "cancel"):
        return _ask(backend, tool, arguments, digest)  # no answer yet: ask again
    confirmed = answer["action"] == "accept" and (answer.get("content") or {}).get(CONFIRM_KEY)
    if confirmed is not True:
        return _tool_error("Not done: the user did not confirm %s." % name)
    if not backend.consume_confirmation(state["nonce"], state["exp"]):
        raise ProtocolError(INVALID_PARAMS, "This confirmation was already used")
    return None


def _call_digest(name, arguments):
    canonical = json.dumps([name, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ask(backend, tool, arguments, digest):
    """The ``input_required`` result asking the user to confirm one call."""
    state = {
        "principal": backend.principal(),
        "call": digest,
        "exp": int(time.time()) + CONFIRMATION_TTL,
        "nonce": secrets.token_urlsafe(16),
    }
    encoded = base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode()
    shown = json.dumps(arguments, ensure_ascii=False, indent=1, default=str)
    if len(shown) > 2000:
        shown = shown[:2000] + " …"
    title = tool.get("title") or tool["name"]
    message = "Allow %s to change data in Odoo?\n%s\n\nArguments:\n%s" % (
        title,
        tool.get("description") or "",
        shown,
    )
    return {
        "resultType": "input_required",
        "inputRequests": {
            CONFIRM_KEY: {
                "method": "elicitation/create",
                "params": {
                    "mode": "form",
                    "message": message,
                    "requestedSchema": {
                        "type": "object",
                        "properties": {
                            CONFIRM_KEY: {
                                "type": "boolean",
                                "title": "Run %s" % title,
                                "description": "Yes: run it now, as you.",
                                "default": False,
                            }
                        },
                        "required": [CONFIRM_KEY],
                    },
                },
            }
        },
        "requestState": "%s.%s" % (encoded, backend.sign(encoded.encode())),
    }


def _verified_state(backend, request_state, digest):
    """The payload of a ``requestState`` we issued for this caller and call."""
    if not isinstance(request_state, str):
        raise ProtocolError(INVALID_PARAMS, "Invalid requestState")
    encoded, _, signature = request_state.partition(".")
    if not signature or not hmac.compare_digest(signature, backend.sign(encoded.encode())):
        raise ProtocolError(INVALID_PARAMS, "Invalid requestState")
    state = json.loads(base64.urlsafe_b64decode(encoded.encode()))
    if state["principal"] != backend.principal():
        raise ProtocolError(INVALID_PARAMS, "This requestState belongs to another caller")
    if state["call"] != digest:
        raise ProtocolError(INVALID_PARAMS, "This requestState was issued for another call")
    if state["exp"] < time.time():
        raise ProtocolError(INVALID_PARAMS, "This confirmation expired; call the tool again")
    return state


_COMMON_METHODS = {
    "tools/list": _list_tools,
    "tools/call": _call_tool,
    "resources/list": lambda backend, params, _c: _paged(
        "resources", backend.list_resources(), params
    ),
    "resources/templates/list": lambda backend, params, _c: _paged(
        "resourceTemplates", backend.list_resource_templates(), params
    ),
    "resources/read": lambda backend, params, _c: {
        "contents": backend.read_resource(_required_string(params, "uri"))
    },
    "prompts/list": lambda backend, params, _c: _paged("prompts", backend.list_prompts(), params),
    "prompts/get": lambda backend, params, _c: backend.get_prompt(
        _required_string(params, "name"), _optional_object(params, "arguments")
    ),
}
_LEGACY_METHODS = dict(_COMMON_METHODS, initialize=_initialize, ping=lambda backend, params, _c: {})
# 2026-07-28 has no initialize and no ping.
_MODERN_METHODS = dict(_COMMON_METHODS, **{"server/discover": _discover})

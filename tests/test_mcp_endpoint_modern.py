"""MCP revision 2026-07-28 on Odoo's endpoint, requests built by hand (the SDK
that speaks it needs mcp 2.x): discovery, every method, the header checks,
versions, caching hints, and the confirmation of tools that change data."""

import base64
import hmac
import json

import pytest

from mcp_crew.services import mcp_endpoint

VERSION = "2026-07-28"
ELICITATION = {"elicitation": {}}
NOTE = {
    "name": "write_note",
    "description": "Write a note",
    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    "annotations": {"readOnlyHint": False, "destructiveHint": False},
}
READ = {
    "name": "read_notes",
    "inputSchema": {"type": "object"},
    "annotations": {"readOnlyHint": True},
}


class LedgerBackend(mcp_endpoint.Backend):
    """One caller with a write tool; ``access`` is what their credential grants."""

    def __init__(self, access=mcp_endpoint.WRITES_CONFIRM, principal="user:7/key:3"):
        self.access = access
        self.who = principal
        self.notes = []
        self.used = set()

    def instructions(self):
        return "A ledger."

    def freshness(self, method):
        return (3_600_000, "public") if method.endswith("/list") else (0, "private")

    def allowed_origins(self):
        return {"https://erp.example.com"}

    def write_access(self):
        return self.access

    def principal(self):
        return self.who

    def sign(self, message):
        return hmac.new(b"test secret", message, "sha256").hexdigest()

    def consume_confirmation(self, nonce, expires_at):
        if nonce in self.used:
            return False
        self.used.add(nonce)
        return True

    def list_tools(self):
        # Deliberately out of order: the endpoint lists by name.
        return [NOTE, READ] + [
            {"name": "z%03d" % i, "inputSchema": {"type": "object"}} for i in range(120)
        ]

    def call_tool(self, name, arguments):
        if name == "write_note":
            self.notes.append(arguments["text"])
            return {"content": [{"type": "text", "text": "noted"}]}
        if name == "read_notes":
            return {"content": [{"type": "text", "text": json.dumps(self.notes)}]}
        return super().call_tool(name, arguments)

    def list_resources(self):
        return [{"uri": "ledger://notes", "name": "notes"}]

    def list_resource_templates(self):
        return [{"uriTemplate": "ledger://notes/{n}", "name": "note"}]

    def read_resource(self, uri):
        if uri == "ledger://notes":
            return [{"uri": uri, "text": "\n".join(self.notes)}]
        return super().read_resource(uri)

    def list_prompts(self):
        return [{"name": "summarise"}]

    def get_prompt(self, name, arguments):
        if name == "summarise":
            return {"messages": [{"role": "user", "content": {"type": "text", "text": "Sum up"}}]}
        return super().get_prompt(name, arguments)


def message(method, params=None, capabilities=None, version=VERSION, request_id=1):
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "hand-built", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": capabilities or {},
    }
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": method,
        "params": dict(params or {}, _meta=meta),
    }


def headers_for(payload, **overrides):
    """The standard headers a conforming client mirrors from the body."""
    headers = {"mcp-protocol-version": VERSION, "mcp-method": payload["method"]}
    field = mcp_endpoint.NAMED_METHODS.get(payload["method"])
    if field:
        headers["mcp-name"] = payload["params"][field]
    headers.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return {key: value for key, value in headers.items() if value is not None}


def send(backend, payload, **header_overrides):
    """``(status, body)`` of one POST."""
    reply = mcp_endpoint.handle_post(
        json.dumps(payload).encode(), headers_for(payload, **header_overrides), backend
    )
    return reply.status, (json.loads(reply.body) if reply.body else None)


def result_of(backend, payload, **header_overrides):
    status, body = send(backend, payload, **header_overrides)
    assert status == 200, body
    assert "error" not in body, body
    assert body["id"] == payload["id"]
    return body["result"]


def error_of(backend, payload, status, code, **header_overrides):
    got_status, body = send(backend, payload, **header_overrides)
    assert (got_status, body["error"]["code"]) == (status, code), body
    assert body["id"] == payload["id"]
    return body["error"]


def test_discover_names_versions_capabilities_and_identity():
    result = result_of(LedgerBackend(), message("server/discover"))
    assert result["resultType"] == "complete"
    assert result["supportedVersions"] == [
        "2026-07-28",
        "2025-11-25",
        "2025-06-18",
        "2025-03-26",
        "2024-11-05",
    ]
    assert set(result["capabilities"]) == {"tools", "resources", "prompts"}
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == {
        "name": "odoo",
        "version": "16.0",
    }
    assert result["instructions"] == "A ledger."
    # Caching hints come from the backend: discover is per caller here.
    assert (result["ttlMs"], result["cacheScope"]) == (0, "private")


def test_lists_are_cacheable_ordered_and_paged():
    backend = LedgerBackend()
    first = result_of(backend, message("tools/list"))
    assert [tool["name"] for tool in first["tools"][:3]] == ["read_notes", "write_note", "z000"]
    assert (first["resultType"], first["ttlMs"], first["cacheScope"]) == (
        "complete",
        3_600_000,
        "public",
    )
    rest = result_of(backend, message("tools/list", {"cursor": first["nextCursor"]}))
    assert [tool["name"] for tool in rest["tools"]][-1] == "z119"
    assert "nextCursor" not in rest
    assert result_of(backend, message("tools/list")) == first  # deterministic
    for method, key in [
        ("resources/list", "resources"),
        ("resources/templates/list", "resourceTemplates"),
        ("prompts/list", "prompts"),
    ]:
        result = result_of(backend, message(method))
        assert result[key] and result["ttlMs"] == 3_600_000, method
        assert result["cacheScope"] == "public"


def test_calls_reads_and_prompts_complete():
    backend = LedgerBackend(access=mcp_endpoint.WRITES_ALLOW)
    called = result_of(
        backend, message("tools/call", {"name": "write_note", "arguments": {"text": "hi"}})
    )
    assert called == {
        "content": [{"type": "text", "text": "noted"}],
        "isError": False,
        "resultType": "complete",
        "_meta": {"io.modelcontextprotocol/serverInfo": backend.server_info()},
    }
    read = result_of(backend, message("resources/read", {"uri": "ledger://notes"}))
    assert read["contents"][0]["text"] == "hi"
    assert (read["ttlMs"], read["cacheScope"]) == (0, "private")
    prompt = result_of(backend, message("prompts/get", {"name": "summarise"}))
    assert prompt["messages"][0]["content"]["text"] == "Sum up"
    assert prompt["resultType"] == "complete"
    assert "ttlMs" not in prompt  # not a cacheable result
    # 2026-07-28: resource not found is Invalid params (-32602), no more -32002.
    missing = error_of(
        backend,
        message("resources/read", {"uri": "ledger://none"}),
        200,
        mcp_endpoint.INVALID_PARAMS,
    )
    assert "Unknown resource" in missing["message"]


def test_unknown_and_removed_methods_are_404():
    for method in ("initialize", "ping", "no/such"):
        error = error_of(LedgerBackend(), message(method), 404, mcp_endpoint.METHOD_NOT_FOUND)
        assert method in error["message"]


@pytest.mark.parametrize(
    "payload, overrides, header",
    [
        (message("tools/list"), {"mcp-protocol-version": None}, "MCP-Protocol-Version missing"),
        (
            message("tools/list"),
            {"mcp-protocol-version": "2025-11-25"},
            "MCP-Protocol-Version '2025",
        ),
        (message("tools/list"), {"mcp-method": None}, "Mcp-Method missing"),
        (message("tools/list"), {"mcp-method": "prompts/list"}, "Mcp-Method 'prompts/list'"),
        (message("tools/call", {"name": "read_notes"}), {"mcp-name": None}, "Mcp-Name missing"),
        (message("tools/call", {"name": "read_notes"}), {"mcp-name": "write_note"}, "Mcp-Name"),
        (message("resources/read", {"uri": "ledger://notes"}), {"mcp-name": "x"}, "Mcp-Name"),
        (message("prompts/get", {"name": "summarise"}), {"mcp-name": None}, "Mcp-Name missing"),
        (message("tools/call", {"name": "read_notes"}), {"mcp-name": "read_notes\n"}, "Mcp-Name"),
        (message("tools/call", {"name": "read_notes"}), {"mcp-name": "=?base64?!!?="}, "Mcp-Name"),
    ],
)
def test_headers_must_mirror_the_body(payload, overrides, header):
    error = error_of(LedgerBackend(), payload, 400, mcp_endpoint.HEADER_MISMATCH, **overrides)
    assert error["message"].startswith("Header mismatch: " + header), error


def test_base64_sentinel_names_are_decoded():
    backend = LedgerBackend()
    backend.list_prompts = lambda: [{"name": "résumé"}]
    backend.get_prompt = lambda name, arguments: {"messages": [], "name": name}
    payload = message("prompts/get", {"name": "résumé"})
    encoded = "=?base64?%s?=" % base64.b64encode("résumé".encode()).decode()
    assert result_of(backend, payload, mcp_name=encoded)["name"] == "résumé"


def test_unsupported_versions_list_ours():
    payload = message("tools/list", version="2099-01-01")
    error = error_of(
        LedgerBackend(),
        payload,
        400,
        mcp_endpoint.UNSUPPORTED_PROTOCOL_VERSION,
        mcp_protocol_version="2099-01-01",
    )
    assert error["data"] == {
        "supported": list(mcp_endpoint.SUPPORTED_VERSIONS),
        "requested": "2099-01-01",
    }


def test_required_meta_and_single_messages():
    payload = message("tools/list")
    del payload["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"]
    error = error_of(LedgerBackend(), payload, 400, mcp_endpoint.INVALID_PARAMS)
    assert "clientCapabilities" in error["message"]
    batch = mcp_endpoint.handle_post(
        json.dumps([message("tools/list")]).encode(),
        {"mcp-protocol-version": VERSION, "mcp-method": "tools/list"},
        LedgerBackend(),
    )
    assert batch.status == 400
    assert "no batches" in json.loads(batch.body)["error"]["message"]
    notification = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}}
    accepted = mcp_endpoint.handle_post(
        json.dumps(notification).encode(), {"mcp-protocol-version": VERSION}, LedgerBackend()
    )
    assert (accepted.status, accepted.body) == (202, b"")


def test_browser_origins_must_be_ours():
    """DNS rebinding: a page of another origin reaching this server is refused."""
    payload = message("tools/list")
    for origin in ("https://evil.example.com", "http://erp.example.com", "null"):
        status, body = send(LedgerBackend(), payload, origin=origin)
        assert status == 403, origin
        assert body["error"]["message"] == "Forbidden: origin %s is not allowed" % origin
    assert send(LedgerBackend(), payload, origin="https://erp.example.com/")[0] == 200
    assert send(LedgerBackend(), payload)[0] == 200  # not a browser: no Origin


# -- tools that change data ------------------------------------------------------------


def write(arguments=None, capabilities=ELICITATION, request_id=1, **params):
    return message(
        "tools/call",
        dict(params, name="write_note", arguments=arguments or {"text": "pay 100"}),
        capabilities,
        request_id=request_id,
    )


def accept(confirm=True):
    return {"confirm": {"action": "accept", "content": {"confirm": confirm}}}


def test_a_write_asks_the_user_and_the_retry_runs_it_once():
    backend = LedgerBackend()
    asked = result_of(backend, write())
    assert asked["resultType"] == "input_required"
    assert "ttlMs" not in asked and "cacheScope" not in asked
    elicitation = asked["inputRequests"]["confirm"]
    assert elicitation["method"] == "elicitation/create"
    assert elicitation["params"]["mode"] == "form"
    assert "write_note" in elicitation["params"]["message"]
    assert '"pay 100"' in elicitation["params"]["message"]
    assert elicitation["params"]["requestedSchema"]["properties"]["confirm"]["type"] == "boolean"
    assert backend.notes == []  # nothing ran yet

    state = asked["requestState"]
    done = result_of(backend, write(request_id=2, requestState=state, inputResponses=accept()))
    assert (done["resultType"], done["isError"]) == ("complete", False)
    assert done["content"][0]["text"] == "noted"
    assert backend.notes == ["pay 100"]
    # The same answer replayed does not run it twice.
    replay = error_of(
        backend,
        write(request_id=3, requestState=state, inputResponses=accept()),
        200,
        mcp_endpoint.INVALID_PARAMS,
    )
    assert "already used" in replay["message"]
    assert backend.notes == ["pay 100"]


def test_a_declined_or_unanswered_confirmation_runs_nothing():
    backend = LedgerBackend()
    state = result_of(backend, write())["requestState"]
    for answer in (
        {"confirm": {"action": "decline"}},
        {"confirm": {"action": "cancel"}},
        accept(confirm=False),
    ):
        refused = result_of(backend, write(requestState=state, inputResponses=answer))
        assert refused["isError"] is True
        assert refused["content"][0]["text"] == "Not done: the user did not confirm write_note."
    again = result_of(backend, write(requestState=state, inputResponses={"other": {}}))
    assert again["resultType"] == "input_required"  # asked again, not an error
    assert backend.notes == []


def test_request_state_is_bound_to_caller_call_and_time(monkeypatch):
    backend = LedgerBackend()
    state = result_of(backend, write())["requestState"]
    encoded, _, signature = state.partition(".")
    forged = json.loads(base64.urlsafe_b64decode(encoded))
    forged["call"] = "0" * 64
    tampered = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode() + "." + signature
    cases = [
        (backend, write(requestState=tampered, inputResponses=accept()), "Invalid requestState"),
        (backend, write(requestState="garbage", inputResponses=accept()), "Invalid requestState"),
        (
            backend,
            write({"text": "pay 9999"}, requestState=state, inputResponses=accept()),
            "another call",
        ),
        (
            LedgerBackend(principal="user:8/key:4"),
            write(requestState=state, inputResponses=accept()),
            "another caller",
        ),
    ]
    for target, payload, expected in cases:
        error = error_of(target, payload, 200, mcp_endpoint.INVALID_PARAMS)
        assert expected in error["message"]
    monkeypatch.setattr(mcp_endpoint.time, "time", lambda: forged["exp"] + 1)
    expired = error_of(
        backend,
        write(requestState=state, inputResponses=accept()),
        200,
        mcp_endpoint.INVALID_PARAMS,
    )
    assert "expired" in expired["message"]
    assert backend.notes == []


def test_a_host_that_cannot_ask_is_refused_unless_writes_were_granted():
    backend = LedgerBackend()
    error = error_of(
        backend, write(capabilities={}), 400, mcp_endpoint.MISSING_REQUIRED_CLIENT_CAPABILITY
    )
    assert error["data"] == {"requiredCapabilities": {"elicitation": {"form": {}}}}
    assert "needs your confirmation" in error["message"]
    # URL-only elicitation cannot show a yes/no form either.
    url_only = write(capabilities={"elicitation": {"url": {}}})
    error_of(backend, url_only, 400, mcp_endpoint.MISSING_REQUIRED_CLIENT_CAPABILITY)
    # A legacy session (no _meta, initialize era) gets a tool error it can read.
    legacy = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "tools/call",
        "params": {"name": "write_note", "arguments": {"text": "x"}},
    }
    reply = json.loads(
        mcp_endpoint.handle_post(
            json.dumps(legacy).encode(), {"mcp-protocol-version": "2025-11-25"}, backend
        ).body
    )
    assert reply["result"]["isError"] is True
    assert "cannot ask you" in reply["result"]["content"][0]["text"]
    assert "resultType" not in reply["result"]  # legacy results keep their shape
    # Read-only credentials are refused even when the host could ask.
    read_only = LedgerBackend(access=mcp_endpoint.WRITES_READ_ONLY)
    refused = result_of(read_only, write())
    assert refused["isError"] is True
    assert "only grants reading" in refused["content"][0]["text"]
    # Granted writes run in hosts that cannot ask, and are still confirmed in those
    # that can; reading tools never ask.
    granted = LedgerBackend(access=mcp_endpoint.WRITES_ALLOW)
    assert result_of(granted, write(capabilities={}))["isError"] is False
    assert granted.notes == ["pay 100"]
    assert result_of(granted, write())["resultType"] == "input_required"
    assert granted.notes == ["pay 100"]
    listed = result_of(backend, message("tools/call", {"name": "read_notes"}))
    assert listed["resultType"] == "complete"
    assert backend.notes == []

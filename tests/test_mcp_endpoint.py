"""Odoo's MCP endpoint protocol, served over real HTTP and driven by the
official MCP SDK client (streamable HTTP) and by raw requests."""

import asyncio
import json
import threading
import wsgiref.simple_server

import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import LATEST_PROTOCOL_VERSION

from mcp_crew.services import mcp_endpoint

ADD = {
    "name": "add",
    "description": "Add two integers",
    "inputSchema": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
    "annotations": {"readOnlyHint": True},
}


class CalculatorBackend(mcp_endpoint.Backend):
    def instructions(self):
        return "A calculator."

    def list_tools(self):
        fillers = [{"name": "tool_%03d" % i, "inputSchema": {"type": "object"}} for i in range(150)]
        return [ADD] + fillers

    def call_tool(self, name, arguments):
        if name == "add":
            if not all(isinstance(arguments.get(key), int) for key in ("a", "b")):
                raise mcp_endpoint.ToolFailure("a and b must be integers")
            total = arguments["a"] + arguments["b"]
            return {
                "content": [{"type": "text", "text": str(total)}],
                "structuredContent": {"sum": total},
            }
        if name == "crash":
            raise RuntimeError("bug")
        return super().call_tool(name, arguments)

    def list_resources(self):
        return [{"uri": "odoo://company", "name": "company", "mimeType": "text/plain"}]

    def read_resource(self, uri):
        if uri == "odoo://company":
            return [{"uri": uri, "mimeType": "text/plain", "text": "YourCompany"}]
        return super().read_resource(uri)

    def list_prompts(self):
        return [{"name": "greet", "arguments": [{"name": "who", "required": True}]}]

    def get_prompt(self, name, arguments):
        if name != "greet":
            return super().get_prompt(name, arguments)
        text = "Say hello to %s" % arguments.get("who", "?")
        return {"messages": [{"role": "user", "content": {"type": "text", "text": text}}]}


def wsgi_app(environ, start_response):
    method = environ["REQUEST_METHOD"]
    if method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        reply = mcp_endpoint.handle_post(
            environ["wsgi.input"].read(length), headers, CalculatorBackend()
        )
    else:
        reply = mcp_endpoint.method_not_allowed()
    start_response("%d Status" % reply.status, list(reply.headers.items()))
    return [reply.body]


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture(scope="module")
def url():
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, wsgi_app, handler_class=_QuietHandler
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/mcp" % server.server_port
    server.shutdown()


def with_sdk_session(url, work):
    async def main():
        async with streamable_http_client(url) as (read, write, _session_id):
            async with ClientSession(read, write) as session:
                initialized = await session.initialize()
                return initialized, await work(session)

    return asyncio.run(asyncio.wait_for(main(), 20))


def test_official_client_initializes_lists_and_calls(url):
    async def work(session):
        tools = await session.list_tools()
        added = await session.call_tool("add", {"a": 2, "b": 40})
        refused = await session.call_tool("add", {"a": "x", "b": 1})
        resources = await session.list_resources()
        company = await session.read_resource("odoo://company")
        prompt = await session.get_prompt("greet", {"who": "Maria"})
        await session.send_ping()
        return tools, added, refused, resources, company, prompt

    initialized, (tools, added, refused, resources, company, prompt) = with_sdk_session(url, work)
    assert initialized.protocolVersion == LATEST_PROTOCOL_VERSION
    assert initialized.serverInfo.name == "odoo"
    assert initialized.instructions == "A calculator."
    # The SDK follows nextCursor itself only when asked; the first page is 100 tools.
    assert len(tools.tools) == mcp_endpoint.PAGE_SIZE
    assert tools.nextCursor
    assert tools.tools[0].annotations.readOnlyHint is True
    assert added.structuredContent == {"sum": 42}
    assert added.isError is False
    assert refused.isError is True
    assert refused.content[0].text == "a and b must be integers"
    assert resources.resources[0].uri.unicode_string() == "odoo://company"
    assert company.contents[0].text == "YourCompany"
    assert prompt.messages[0].content.text == "Say hello to Maria"


def test_pagination_reaches_every_tool(url):
    async def work(session):
        names, cursor = [], None
        while True:
            page = await session.list_tools(cursor=cursor)
            names += [tool.name for tool in page.tools]
            cursor = page.nextCursor
            if not cursor:
                return names

    _initialized, names = with_sdk_session(url, work)
    assert len(names) == 151
    assert names[-1] == "tool_149"


def post(url, payload, **headers):
    return requests.post(
        url,
        data=payload if isinstance(payload, (str, bytes)) else json.dumps(payload),
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        timeout=5,
    )


def request(method, params=None, request_id=1):
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def test_version_negotiation(url):
    older = post(url, request("initialize", {"protocolVersion": "2025-03-26"})).json()
    assert older["result"]["protocolVersion"] == "2025-03-26"
    unknown = post(url, request("initialize", {"protocolVersion": "1999-01-01"})).json()
    assert unknown["result"]["protocolVersion"] == LATEST_PROTOCOL_VERSION
    refused = post(url, request("ping"), **{"MCP-Protocol-Version": "1999-01-01"})
    assert refused.status_code == 400
    assert "Unsupported MCP-Protocol-Version" in refused.json()["error"]["message"]


def test_protocol_errors(url):
    garbage = post(url, b"{not json")
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == mcp_endpoint.PARSE_ERROR
    cases = [
        (request("no/such/method"), mcp_endpoint.METHOD_NOT_FOUND, "Method not found"),
        (request("tools/call", {"name": "nope"}), mcp_endpoint.INVALID_PARAMS, "Unknown tool"),
        (request("tools/call", {}), mcp_endpoint.INVALID_PARAMS, "params.name"),
        (
            request("tools/call", {"name": "add", "arguments": [1]}),
            mcp_endpoint.INVALID_PARAMS,
            "params.arguments must be an object",
        ),
        (request("resources/read", {"uri": "odoo://x"}), mcp_endpoint.INVALID_PARAMS, "Unknown"),
        (request("tools/list", {"cursor": "!!"}), mcp_endpoint.INVALID_PARAMS, "Invalid cursor"),
        (request("tools/list", [1, 2]), mcp_endpoint.INVALID_PARAMS, "params must be an object"),
        ({"id": 1, "method": "ping"}, mcp_endpoint.INVALID_REQUEST, "JSON-RPC 2.0"),
        (request("tools/call", {"name": "crash"}), mcp_endpoint.INTERNAL_ERROR, "Internal error"),
    ]
    for payload, code, message in cases:
        reply = post(url, payload)
        assert reply.status_code == 200, payload
        error = reply.json()["error"]
        assert (error["code"], message in error["message"]) == (code, True), (payload, error)


def test_notifications_batches_and_other_methods(url):
    notification = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    accepted = post(url, notification)
    assert (accepted.status_code, accepted.content) == (202, b"")
    batch = post(url, [request("ping", request_id=1), notification, request("ping", request_id=2)])
    assert [reply["id"] for reply in batch.json()] == [1, 2]
    assert requests.get(url, timeout=5).status_code == 405
    assert requests.delete(url, timeout=5).status_code == 405


def test_deep_nesting_and_large_bodies_get_json_rpc_errors():
    backend = CalculatorBackend()
    too_deep = mcp_endpoint.handle_post(b"[" * 100_000 + b"]" * 100_000, {}, backend)
    assert too_deep.status == 400
    assert "nested too deeply" in json.loads(too_deep.body)["error"]["message"]
    nested = request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    inner = nested["params"]["arguments"]
    for _level in range(mcp_endpoint.MAX_DEPTH):
        inner["deeper"] = {}
        inner = inner["deeper"]
    refused = mcp_endpoint.handle_post(json.dumps(nested).encode(), {}, backend)
    assert refused.status == 400
    assert json.loads(refused.body)["error"]["code"] == mcp_endpoint.INVALID_REQUEST
    body = json.dumps(request("ping")).encode()
    assert mcp_endpoint.handle_post(body, {}, backend, max_body=len(body)).status == 200
    large = mcp_endpoint.handle_post(body, {}, backend, max_body=len(body) - 1)
    assert large.status == 413
    assert "at most %d bytes" % (len(body) - 1) in json.loads(large.body)["error"]["message"]


def test_nesting_depth_counts_lists_and_objects():
    assert mcp_endpoint.nesting_depth("text", 5) == 0
    assert mcp_endpoint.nesting_depth({"a": [1, {"b": []}]}, 5) == 4
    assert mcp_endpoint.nesting_depth([[[[[[[]]]]]]], 3) == 4  # stops counting past the limit

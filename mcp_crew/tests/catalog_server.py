"""A real MCP server for the engine tests and benchmarks, written with the SDK.

Run: ``python catalog_server.py stdio [options]`` or
``python catalog_server.py http --port 8765 [options]`` (streamable HTTP at /mcp)
or ``python catalog_server.py sse --port 8765`` (legacy SSE at /sse).

Options shape what discovery sees: ``--filler N`` extra tools, ``--page-size K``
to paginate every listing, ``--list-delay S`` to slow every listing (parallel
discovery tests), ``--name`` for the server name, ``--broken-output`` for two
tools whose results break their own output schema (the SDK's server checks
results it builds, not a ``CallToolResult`` a handler returns as it is).
"""

import argparse
import asyncio
import contextlib

import anyio
import mcp.types as types
from mcp.server.lowlevel import NotificationOptions, Server


def page(items, request, page_size):
    # The SDK calls list handlers with no request to fill its own tool cache.
    params = getattr(request, "params", None)
    cursor = params.cursor if params else None
    start = int(cursor) if cursor else 0
    if not page_size:
        return items, None
    end = start + page_size
    return items[start:end], (str(end) if end < len(items) else None)


SUM_SCHEMA = {"type": "object", "properties": {"sum": {"type": "integer"}}, "required": ["sum"]}


def broken_output_tools():
    """Tools that declare :data:`SUM_SCHEMA` and answer something else."""
    return [
        types.Tool(
            name=name,
            description=description,
            inputSchema={"type": "object", "properties": {}},
            outputSchema=SUM_SCHEMA,
        )
        for name, description in (
            ("sum_as_text", "Answers its sum as a string"),
            ("sum_unstructured", "Answers text only"),
        )
    ]


def broken_output_handlers():
    def answer(structured):
        return lambda _arguments: types.CallToolResult(
            content=[types.TextContent(type="text", text="three")],
            structuredContent=structured,
        )

    return {"sum_as_text": answer({"sum": "three"}), "sum_unstructured": answer(None)}


def build_server(name, filler, page_size, list_delay, broken_output=False):
    server = Server(name, version="1.2.3", instructions="Test server for mcp_crew")
    dynamic = []
    broken_tools = broken_output_tools() if broken_output else []

    def tools():
        base = [
            types.Tool(
                name="echo",
                description="Echo the text back",
                inputSchema={
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
                annotations=types.ToolAnnotations(readOnlyHint=True, idempotentHint=True),
            ),
            types.Tool(
                name="add",
                description="Add two integers",
                inputSchema={
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                    "additionalProperties": False,
                },
                outputSchema=SUM_SCHEMA,
                annotations=types.ToolAnnotations(
                    readOnlyHint=True, idempotentHint=True, openWorldHint=False
                ),
            ),
            types.Tool(
                name="sleep",
                description="Sleep for some seconds",
                inputSchema={
                    "type": "object",
                    "properties": {"seconds": {"type": "number", "minimum": 0}},
                    "required": ["seconds"],
                },
            ),
            types.Tool(
                name="delete_record",
                description="Delete a record (destructive)",
                inputSchema={
                    "type": "object",
                    "properties": {"record_id": {"type": "integer"}},
                    "required": ["record_id"],
                },
                annotations=types.ToolAnnotations(destructiveHint=True, idempotentHint=True),
            ),
            types.Tool(
                name="fail",
                description="Always reports a tool error",
                inputSchema={"type": "object", "properties": {}},
            ),
            types.Tool(
                name="add_tool",
                description="Register a new tool and announce tools/list_changed",
                inputSchema={
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                },
            ),
        ]
        base += [
            types.Tool(
                name="filler_%03d" % i,
                description="Filler tool %d" % i,
                inputSchema={"type": "object", "properties": {}},
            )
            for i in range(filler)
        ]
        return base + broken_tools + list(dynamic)

    @server.list_tools()
    async def list_tools(request: types.ListToolsRequest) -> types.ListToolsResult:
        await asyncio.sleep(list_delay)
        items, cursor = page(tools(), request, page_size)
        return types.ListToolsResult(tools=items, nextCursor=cursor)

    async def add_tool(arguments):
        dynamic.append(
            types.Tool(
                name=arguments["name"],
                description="Added at run time",
                inputSchema={"type": "object", "properties": {}},
            )
        )
        await server.request_context.session.send_tool_list_changed()
        return [types.TextContent(type="text", text="added")]

    async def sleep(arguments):
        await asyncio.sleep(arguments["seconds"])
        return [types.TextContent(type="text", text="slept")]

    def fail(_arguments):
        raise ValueError("this tool always fails")

    def text(value):
        return [types.TextContent(type="text", text=value)]

    handlers = {
        "echo": lambda arguments: text(arguments["text"]),
        "add": lambda arguments: {"sum": arguments["a"] + arguments["b"]},
        "delete_record": lambda arguments: text("deleted %s" % arguments["record_id"]),
        "fail": fail,
        **(broken_output_handlers() if broken_output else {}),
    }
    async_handlers = {"add_tool": add_tool, "sleep": sleep}

    @server.call_tool(validate_input=False)
    async def call_tool(tool, arguments):
        if tool in async_handlers:
            return await async_handlers[tool](arguments)
        if tool in handlers:
            return handlers[tool](arguments)
        if any(t.name == tool for t in dynamic) or tool.startswith("filler_"):
            return text(tool)
        raise ValueError("unknown tool %s" % tool)

    @server.list_resources()
    async def list_resources(request: types.ListResourcesRequest) -> types.ListResourcesResult:
        await asyncio.sleep(list_delay)
        items = [
            types.Resource(uri="memo://readme", name="readme", mimeType="text/plain"),
            types.Resource(uri="memo://changelog", name="changelog", mimeType="text/markdown"),
        ]
        items, cursor = page(items, request, page_size)
        return types.ListResourcesResult(resources=items, nextCursor=cursor)

    @server.list_resource_templates()
    async def list_templates():
        return [types.ResourceTemplate(uriTemplate="memo://notes/{id}", name="note")]

    @server.read_resource()
    async def read_resource(uri):
        return "contents of %s" % uri

    @server.list_prompts()
    async def list_prompts(request: types.ListPromptsRequest) -> types.ListPromptsResult:
        items = [
            types.Prompt(
                name="summarize",
                description="Summarize a text",
                arguments=[types.PromptArgument(name="text", required=True)],
            )
        ]
        return types.ListPromptsResult(prompts=items)

    return server


def options(server):
    return server.create_initialization_options(
        notification_options=NotificationOptions(tools_changed=True)
    )


async def run_stdio(server):
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.run(read, write, options(server))


def run_http(server, port):
    import uvicorn
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from starlette.applications import Starlette
    from starlette.routing import Route

    manager = StreamableHTTPSessionManager(app=server)

    class Endpoint:
        # An ASGI callable (not a function) so Route serves /mcp without a redirect.
        async def __call__(self, scope, receive, send):
            await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        async with manager.run():
            yield

    app = Starlette(
        routes=[Route("/mcp", endpoint=Endpoint(), methods=["GET", "POST", "DELETE"])],
        lifespan=lifespan,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def run_sse(server, port):
    import uvicorn
    from mcp.server.sse import SseServerTransport
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    transport = SseServerTransport("/messages/")

    async def handle_sse(request):
        async with transport.connect_sse(request.scope, request.receive, request._send) as streams:
            await server.run(streams[0], streams[1], options(server))
        return Response()

    app = Starlette(
        routes=[
            Route("/sse", endpoint=handle_sse, methods=["GET"]),
            Mount("/messages/", app=transport.handle_post_message),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "http", "sse"])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--name", default="catalog-server")
    parser.add_argument("--filler", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=0)
    parser.add_argument("--list-delay", type=float, default=0.0)
    parser.add_argument("--broken-output", action="store_true")
    args = parser.parse_args()
    server = build_server(
        args.name, args.filler, args.page_size, args.list_delay, args.broken_output
    )
    if args.transport == "stdio":
        anyio.run(run_stdio, server)
    elif args.transport == "http":
        run_http(server, args.port)
    else:
        run_sse(server, args.port)


if __name__ == "__main__":
    main()

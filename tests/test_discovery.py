"""Discovery against real MCP servers over stdio, streamable HTTP and SSE."""

import pytest

from conftest import http_spec, stdio_spec
from mcp_crew.services.spec import ServerSpec


def _names(items):
    return sorted(item["name"] for item in items)


def test_stdio_discovery_follows_pagination_and_keeps_metadata(engine, scope):
    spec = stdio_spec(scope, 1, "--page-size", "2", "--filler", "5")
    view = engine.get_catalog(spec)
    catalog = view["catalog"]
    assert view["source"] == "live"
    # 6 base tools + 5 fillers, served 2 per page: every page was followed.
    assert len(catalog["tools"]) == 11
    assert {"echo", "add", "filler_004"} <= set(_names(catalog["tools"]))
    tools = {tool["name"]: tool for tool in catalog["tools"]}
    assert tools["add"]["output_schema"]["required"] == ["sum"]
    assert tools["add"]["input_schema"]["required"] == ["a", "b"]
    assert tools["add"]["annotations"] == {
        "declared": True,
        "read_only": True,
        "destructive": False,
        "idempotent": True,
        "open_world": False,
    }
    assert tools["delete_record"]["annotations"]["destructive"] is True
    # No annotations at all: the MCP defaults apply (destructive, open world).
    assert tools["sleep"]["annotations"]["declared"] is False
    assert tools["sleep"]["annotations"]["destructive"] is True
    assert tools["sleep"]["annotations"]["open_world"] is True
    resources = {res["uri"]: res for res in catalog["resources"]}
    assert set(resources) == {"memo://readme", "memo://changelog", "memo://notes/{id}"}
    assert resources["memo://notes/{id}"]["is_template"] is True
    assert resources["memo://changelog"]["mime_type"] == "text/markdown"
    assert catalog["prompts"][0]["arguments"] == [
        {"name": "text", "description": "", "required": True}
    ]
    assert catalog["server"]["name"] == "catalog-server"
    assert catalog["server"]["version"] == "1.2.3"
    assert len(catalog["hash"]) == 40


def test_streamable_http_discovery(engine, scope, start_http_server):
    url, _proc = start_http_server("--page-size", "3", "--filler", "4")
    catalog = engine.get_catalog(http_spec(scope, 2, url))["catalog"]
    assert len(catalog["tools"]) == 10
    assert catalog["server"]["protocol_version"]


def test_sse_discovery(engine, scope, start_http_server):
    url, _proc = start_http_server(transport="sse")
    catalog = engine.get_catalog(http_spec(scope, 3, url, transport="sse"))["catalog"]
    assert "echo" in _names(catalog["tools"])


def test_same_catalog_over_every_transport_has_same_hash(engine, scope, start_http_server):
    url, _proc = start_http_server()
    over_http = engine.get_catalog(http_spec(scope, 4, url))["catalog"]
    over_stdio = engine.get_catalog(stdio_spec(scope, 5))["catalog"]
    assert over_http["hash"] == over_stdio["hash"]


def test_third_party_server_everything_over_stdio(engine, scope, everything_js):
    spec = ServerSpec(
        scope, 6, "everything", "stdio", command="node", args=(everything_js, "stdio"), timeout=20
    )
    catalog = engine.get_catalog(spec)["catalog"]
    tools = {tool["name"]: tool for tool in catalog["tools"]}
    assert {"echo", "get-sum"} <= set(tools)
    assert tools["get-sum"]["input_schema"]["type"] == "object"
    assert any(res["is_template"] for res in catalog["resources"])
    assert catalog["prompts"]
    result = engine.call_tool(spec, "get-sum", {"a": 2, "b": 40})
    assert result["is_error"] is False
    assert "42" in result["text"]


def test_third_party_server_everything_over_streamable_http(engine, scope, everything_js):
    from conftest import ServerProcess, free_port

    port = free_port()
    proc = ServerProcess(
        ["node", everything_js, "streamableHttp"], port=port, env={"PORT": str(port)}
    ).start()
    try:
        spec = http_spec(scope, 7, "http://127.0.0.1:%d/mcp" % port, timeout=20)
        catalog = engine.get_catalog(spec)["catalog"]
        assert "echo" in _names(catalog["tools"])
        result = engine.call_tool(spec, "echo", {"message": "ping"})
        assert "ping" in result["text"]
    finally:
        proc.kill()


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_list_changed_notification_triggers_rediscovery(
    engine, scope, start_http_server, transport
):
    if transport == "stdio":
        spec = stdio_spec(scope, 8)
    else:
        url, _proc = start_http_server()
        spec = http_spec(scope, 8, url)
    changed = []
    engine.on_catalog_changed = lambda spec, entry: changed.append(entry)
    assert "brand_new" not in _names(engine.get_catalog(spec)["catalog"]["tools"])
    engine.call_tool(spec, "add_tool", {"name": "brand_new"})
    import time

    deadline = time.monotonic() + 10
    while not changed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert changed, "the adapter hook was not called after tools/list_changed"
    assert "brand_new" in _names(changed[0]["catalog"]["tools"])
    # The refreshed catalog is what the cache now serves, without a new discovery.
    view = engine.get_catalog(spec)
    assert view["source"] in ("l1", "l2")
    assert "brand_new" in _names(view["catalog"]["tools"])

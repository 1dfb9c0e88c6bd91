"""The docker demo's MCP server, discovered and called by the engine over
stdio and streamable HTTP like any third-party server."""

import pathlib
import sys

import pytest

from conftest import ServerProcess
from mcp_crew.services.spec import ServerSpec
from mcp_crew.tests.processes import free_port

DEMO = pathlib.Path(__file__).parent.parent / "docker" / "mcp_demo_server.py"


@pytest.fixture
def http_demo():
    port = free_port()
    process = ServerProcess(
        [sys.executable, str(DEMO), "http", "--port", str(port)], port=port
    ).start()
    yield "http://127.0.0.1:%d/mcp" % port
    process.kill()


def specs(scope, http_url):
    stdio = ServerSpec(
        scope,
        1,
        "demo stdio",
        "stdio",
        command=sys.executable,
        args=(str(DEMO), "stdio"),
        timeout=15,
    )
    http = ServerSpec(scope, 2, "demo http", "streamable_http", url=http_url, timeout=15)
    return stdio, http


def test_demo_server_is_discovered_and_called_over_both_transports(engine, scope, http_demo):
    for spec in specs(scope, http_demo):
        catalog = engine.get_catalog(spec)["catalog"]
        tools = {tool["name"]: tool for tool in catalog["tools"]}
        assert set(tools) == {
            "supplier_offers",
            "exchange_rate",
            "freight_estimate",
            "cancel_supplier_order",
        }
        assert tools["cancel_supplier_order"]["annotations"]["destructive"] is True
        assert tools["supplier_offers"]["annotations"]["read_only"] is True
        assert [r["uri"] for r in catalog["resources"]] == ["demo://suppliers"]
        assert [p["name"] for p in catalog["prompts"]] == ["compare_offers"]
        offers = engine.call_tool(spec, "supplier_offers", {"product": "Arruela lisa M8"})
        assert not offers["is_error"]
        suppliers = [o["supplier"] for o in offers["structured_content"]["offers"]]
        assert suppliers == ["Fixadores Paulista", "Metalúrgica Sul"]
        rate = engine.call_tool(spec, "exchange_rate", {"base": "usd", "amount": 1})
        assert rate["structured_content"] == {
            "base": "USD",
            "quote": "BRL",
            "rate": 5.4,
            "amount": 1,
            "converted": 5.4,
        }
        converted = engine.call_tool(
            spec, "exchange_rate", {"base": "BRL", "quote": "USD", "amount": 0.04}
        )
        assert converted["structured_content"]["converted"] == 0.0074
        unknown = engine.call_tool(spec, "freight_estimate", {"state": "XX", "weight_kg": 1})
        assert unknown["is_error"] and "no freight table for XX" in unknown["text"]

"""``tools/call odoo_search_read`` on Odoo's ``/mcp`` against the same search
through ``/jsonrpc`` ``execute_kw``, in the same run, same user, same API key.

Needs Odoo 16 (run it with Odoo's Python) and PostgreSQL + Redis:

    ODOO_ROOT=/path/to/odoo ODOO_BIN=/path/to/odoo-bin \\
        /path/to/odoo-venv/bin/python bench/bench_mcp.py -c /path/to/odoo.conf

It creates (or reuses) ``mcp_crew_bench_mcp`` with 500 partners, starts
``odoo-bin --workers 2`` and reads 80 partners (6 fields) per call, one
client, alternating blocks of each path so drift hits both alike:

- baseline: ``execute_kw res.partner search_read`` (what an integration uses today);
- ``/mcp`` ``tools/call`` as a raw JSON-RPC POST (what any MCP host sends);
- the same through the official MCP SDK client (one initialized session).

Not part of the test suite: it prints figures, it asserts nothing.
"""

import asyncio
import contextlib
import json
import sys
import time

import httpx
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from odoo_support import report, start_bench

DB = "mcp_crew_bench_mcp"
LOGIN = "bench_mcp"
PARTNERS = 500
LIMIT = 80
FIELDS = ["name", "email", "phone", "city", "company_id", "is_company"]
DOMAIN = [["name", "like", "Bench partner"]]
# The same search as the execute_kw baseline, as odoo_search_read arguments.
TOOL_ARGUMENTS = {"model": "res.partner", "domain": DOMAIN, "fields": FIELDS, "limit": LIMIT}
BLOCKS, PER_BLOCK = 10, 30


def prepare(odoo, registry):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", LOGIN)])
        if not user:
            groups = [
                "base.group_user",
                "base.group_partner_manager",
                "mcp_crew.group_mcp_crew_user",
            ]
            user = env["res.users"].create(
                {
                    "name": "Bench MCP",
                    "login": LOGIN,
                    "groups_id": [(6, 0, [env.ref(xmlid).id for xmlid in groups])],
                }
            )
        env["res.users.apikeys"].search([("user_id", "=", user.id)]).unlink()
        api_key = env["res.users.apikeys"].with_user(user)._generate(None, "bench")
        existing = env["res.partner"].search_count([("name", "like", "Bench partner")])
        env["res.partner"].create(
            [
                {
                    "name": "Bench partner %04d" % i,
                    "email": "p%04d@example.com" % i,
                    "phone": "+55 11 5555-%04d" % i,
                    "city": "São Paulo",
                    "is_company": i % 3 == 0,
                }
                for i in range(existing, PARTNERS)
            ]
        )
        return user.id, api_key


def execute_kw(session, base, uid, api_key):
    response = session.post(
        base + "/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    DB,
                    uid,
                    api_key,
                    "res.partner",
                    "search_read",
                    [DOMAIN],
                    {"fields": FIELDS, "limit": LIMIT},
                ],
            },
        },
        timeout=30,
    )
    rows = response.json()["result"]
    assert len(rows) == LIMIT
    return rows


def mcp_raw(session, base, api_key):
    response = session.post(
        base + "/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "odoo_search_read", "arguments": TOOL_ARGUMENTS},
        },
        headers={"Authorization": "Bearer %s" % api_key, "Accept": "application/json"},
        timeout=30,
    )
    result = response.json()["result"]
    assert not result["isError"] and result["structuredContent"]["count"] == LIMIT
    return result


async def sdk_timings(base, api_key, count):
    headers = {"Authorization": "Bearer %s" % api_key}
    timings = Timings()
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        async with streamable_http_client(base + "/mcp", http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                for _ in range(count):
                    with timings.measure():
                        result = await session.call_tool("odoo_search_read", TOOL_ARGUMENTS)
                    assert not result.isError
    return timings


class Timings(list):
    """Wall-clock latencies, and the CPU the client itself spent on them: on a
    small machine the client's work is part of what the latency shows."""

    client_cpu = 0.0

    @contextlib.contextmanager
    def measure(self):
        started, cpu = time.perf_counter(), time.process_time()
        yield
        self.append(time.perf_counter() - started)
        self.client_cpu += time.process_time() - cpu


def timed(call, count, timings):
    for _ in range(count):
        with timings.measure():
            call()
    return timings


def main():
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    _odoo, _registry, (uid, api_key), server, port = start_bench(sys.argv[1:], DB, prepare)
    base = "http://127.0.0.1:%d" % port
    try:
        session = requests.Session()
        payload = len(json.dumps(execute_kw(session, base, uid, api_key)))
        mcp_raw(session, base, api_key)
        baseline, raw = Timings(), Timings()
        for _ in range(BLOCKS):
            timed(lambda: execute_kw(session, base, uid, api_key), PER_BLOCK, baseline)
            timed(lambda: mcp_raw(session, base, api_key), PER_BLOCK, raw)
        sdk = asyncio.run(sdk_timings(base, api_key, BLOCKS * PER_BLOCK))
        print(
            "odoo --workers 2; search_read of %d partners x %d fields (%d bytes of rows); "
            "%d calls each, one client\n" % (LIMIT, len(FIELDS), payload, BLOCKS * PER_BLOCK)
        )
        report("baseline: /jsonrpc execute_kw search_read", baseline)
        report("/mcp tools/call odoo_search_read (raw POST)", raw, baseline)
        report("/mcp tools/call through the MCP SDK client", sdk, baseline)
        print(
            "\nclient CPU per call (part of each latency): execute_kw (requests) %.2f ms, "
            "raw POST (requests) %.2f ms, MCP SDK client %.2f ms"
            % tuple(t.client_cpu / len(t) * 1e3 for t in (baseline, raw, sdk))
        )
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

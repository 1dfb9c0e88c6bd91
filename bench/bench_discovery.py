"""Discovery and tool-call benchmark: medians and ratios against baselines run
in the same process on the same server and transport.

- get_tools served from L1 and from L2, against a raw redis-py GET + json.loads
  of the same payload and against a live tools/list;
- call_tool through the engine against a raw mcp.ClientSession call.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_discovery.py``).
Not part of the test suite: it prints figures, it asserts nothing.
"""

import asyncio
import json
import pathlib
import statistics
import sys
import time
import uuid

import redis
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp_crew.services.engine import McpEngine  # noqa: E402
from mcp_crew.services.settings import EngineSettings  # noqa: E402
from mcp_crew.services.spec import CacheScope, ServerSpec  # noqa: E402
from mcp_crew.tests.processes import CATALOG_SERVER as SERVER  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/15"
FILLER_TOOLS = "40"  # a realistic catalog: 46 tools with schemas


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(label, samples, baseline=None):
    median = statistics.median(samples)
    line = "%-44s median %9.1f us  p95 %9.1f us  %9.0f ops/s" % (
        label,
        median * 1e6,
        sorted(samples)[int(len(samples) * 0.95)] * 1e6,
        1 / median,
    )
    if baseline is not None:
        line += "  ratio %.2fx" % (median / statistics.median(baseline))
    print(line)
    return samples


async def raw_session_calls(repeat, live_repeat=20):
    params = StdioServerParameters(
        command=sys.executable, args=[str(SERVER), "stdio", "--filler", FILLER_TOOLS]
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            live = []
            for _ in range(live_repeat):
                start = time.perf_counter()
                await session.list_tools()
                live.append(time.perf_counter() - start)
            calls = []
            for _ in range(repeat):
                start = time.perf_counter()
                await session.call_tool("add", {"a": 1, "b": 2})
                calls.append(time.perf_counter() - start)
            return live, calls


def main():
    engine = McpEngine(EngineSettings(redis_url=REDIS_URL))
    scope = CacheScope("bench_%s" % uuid.uuid4().hex[:6], 1)
    spec = ServerSpec(
        scope,
        1,
        "bench",
        "stdio",
        command=sys.executable,
        args=(str(SERVER), "stdio", "--filler", FILLER_TOOLS),
        cache_ttl=3600,
    )
    engine.get_catalog(spec)  # warm: one live discovery
    raw = redis.Redis.from_url(REDIS_URL)
    key = spec.catalog_key()
    payload_bytes = len(raw.get(key))
    print(
        "catalog: %d tools, %d bytes in Redis"
        % (len(engine.get_catalog(spec)["catalog"]["tools"]), payload_bytes)
    )

    repeat = 5000
    baseline = summary(
        "raw redis-py GET + json.loads", timed(lambda: json.loads(raw.get(key)), repeat)
    )
    summary("get_catalog from L1", timed(lambda: engine.get_catalog(spec), repeat), baseline)

    def from_l2():
        engine.cache.l1.clear()
        return engine.get_catalog(spec)

    l2 = summary("get_catalog from L2 (L1 cleared each time)", timed(from_l2, repeat), baseline)
    live, raw_calls = asyncio.run(raw_session_calls(1000))
    summary("live tools/list (raw ClientSession)", live, baseline)
    print(
        "L2-served lookups: %.0f/s per process (seed target 833/s, issue target 5000/s)"
        % (1 / statistics.median(l2))
    )

    engine.call_tool(spec, "add", {"a": 1, "b": 2})  # open the pooled session
    # Alternate blocks so machine noise hits both sides alike.
    raw_calls, engine_calls = [], []
    for _round in range(5):
        raw_calls += asyncio.run(raw_session_calls(200, live_repeat=0))[1]
        engine_calls += timed(lambda: engine.call_tool(spec, "add", {"a": 1, "b": 2}), 200)
    raw_baseline = summary("call_tool: raw ClientSession (stdio)", raw_calls)
    summary("call_tool: engine, pooled session (stdio)", engine_calls, raw_baseline)
    engine.forget(scope, 1)
    engine.close()


if __name__ == "__main__":
    main()

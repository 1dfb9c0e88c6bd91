"""The Odoo methods callers use, in-process, beside raw baselines in the same run.

Needs Odoo 16 (run it with Odoo's Python) and PostgreSQL + Redis:

    ODOO_ROOT=/path/to/odoo /path/to/odoo-venv/bin/python bench/bench_methods.py \\
        [-c /path/to/odoo.conf]

(``make bench-methods`` with this repository's ``.odoo``.) It creates (or
reuses) ``mcp_crew_bench_methods`` with a user of the MCP Crew user group, an
API key, 2,000 knowledge items and the SDK-built catalog server (46 tools)
over stdio and over streamable HTTP, then measures, as that user:

- ``mcp.server.get_tools()`` served from L1 and from L2 (L1 cleared before
  each call) against a raw redis-py ``GET`` + ``json.loads`` of the same
  catalog entry;
- ``mcp.server.call_tool()`` (run, audit step and all, flushed as the
  request's commit would) against a raw
  ``mcp.ClientSession.call_tool`` on the same server, stdio and HTTP;
- CPU per request, Python (this process) + PostgreSQL (the backends of the
  bench database), of ``ask`` on the knowledge path and the direct tool
  path, through ``execute_kw`` as ``/jsonrpc`` dispatches it (API key check,
  registry signalling, own cursor, commit), against a trivial
  ``execute_kw res.partner search_read`` by the same user.

Blocks of each side alternate so that machine noise hits both alike (blocks of
10 catalog lookups, of 200 tool calls, of 100 asks); a CPU ratio is the median of
the ratios of each round (one block per side), with their range. Not part
of the test suite: it prints figures, it asserts nothing.

Options (before the odoo-bin ones): ``--only get_tools,call_tool,cpu`` measures
only those parts; ``--database NAME`` uses another database than
``mcp_crew_bench_methods``, so that two benches can run side by side.
"""

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import queue
import statistics
import sys
import threading
import time

import redis
from bench_ask import QUESTIONS, prepare_no_llm_asker
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from odoo_support import ensure_database, setup_odoo
from processes import CATALOG_SERVER, start_catalog_server

DB = "mcp_crew_bench_methods"
PARTS = ("get_tools", "call_tool", "cpu")
LOGIN = "bench_methods"
FILLER = "40"  # 46 tools with schemas, as bench_discovery.py
ARGUMENTS = {"a": 1, "b": 2}
BLOCKS = 5
# Rounds of the CPU part: one block of each side per round.
CPU_ROUNDS = 9


def prepare(odoo, registry, http_url):
    """User, API key, knowledge and the two servers: (uid, api key, {transport: server id})."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", LOGIN)])
        if not user:
            groups = ["base.group_user", "mcp_crew.group_mcp_crew_user"]
            user = env["res.users"].create(
                {
                    "name": "Bench Methods",
                    "login": LOGIN,
                    "groups_id": [(6, 0, [env.ref(xmlid).id for xmlid in groups])],
                }
            )
        api_key = prepare_no_llm_asker(env, user)
        servers = {}
        for transport, values in (
            (
                "stdio",
                {
                    "command": sys.executable,
                    "args_text": "%s\nstdio\n--filler\n%s" % (CATALOG_SERVER, FILLER),
                },
            ),
            ("streamable_http", {"url": http_url}),
        ):
            server = env["mcp.server"].search([("name", "=", "bench %s" % transport)])
            if not server:
                server = server.create(
                    dict(values, name="bench %s" % transport, transport=transport, kind="database")
                )
            else:
                # A kept database: a new port each run, and this checkout's Python.
                server.write(values)
            server.action_discover()
            servers[transport] = server.id
        return user.id, api_key, servers


class Samples(list):
    def time(self, call, count):
        for _ in range(count):
            started = time.perf_counter()
            call()
            self.append(time.perf_counter() - started)
        return self


def report(label, samples, baseline=None, unit=1e6, unit_name="us"):
    median = statistics.median(samples)
    line = "%-52s median %9.1f %s  %9.0f /s" % (label, median * unit, unit_name, 1 / median)
    if baseline is not None:
        ratio = median / statistics.median(baseline)
        line += "  ratio %.2fx" % ratio
        if ratio < 1:
            line += " (%.1fx faster)" % (1 / ratio)
    print(line, flush=True)


def alternate(sides, blocks, per_block):
    """``{label: Samples}`` of ``sides`` (label -> call), measured in alternating blocks."""
    results = {label: Samples() for label in sides}
    for _ in range(blocks):
        for label, call in sides.items():
            results[label].time(call, per_block)
    return results


# -- get_tools ---------------------------------------------------------------------------


def bench_get_tools(odoo, env, server, engine):
    server.get_tools()  # warm: L1 and L2 hold the catalog
    spec = server._engine_spec()
    client = redis.Redis.from_url(engine.settings.redis_url)
    key = spec.catalog_key()

    def raw_get():
        data = client.get(key)
        return json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)

    def from_l2():
        engine.cache.l1.clear()
        return server.get_tools()

    tools = server.get_tools()
    print(
        "get_tools: %d tools, %d bytes in Redis; as user %s (not superuser)\n"
        % (len(tools), len(client.get(key)), env.user.login)
    )
    with count_queries(env.cr) as queries:
        server.get_tools()
    # Short blocks: on a shared machine the load drifts within seconds.
    results = alternate({"raw": raw_get, "l1": server.get_tools, "l2": from_l2}, 1000, 10)
    report("baseline: raw redis-py GET + json.loads", results["raw"])
    report("get_tools() warm (L1)", results["l1"], results["raw"])
    report("get_tools() from L2 (L1 cleared each call)", results["l2"], results["raw"])
    print("SQL queries of one warm get_tools(): %d\n" % queries[0])


@contextlib.contextmanager
def count_queries(cr):
    counter = [0]
    before = cr.sql_log_count
    yield counter
    counter[0] = cr.sql_log_count - before


# -- call_tool ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def raw_session(transport, server_url):
    if transport == "stdio":
        params = StdioServerParameters(
            command=sys.executable, args=[CATALOG_SERVER, "stdio", "--filler", FILLER]
        )
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session
    else:
        async with streamable_http_client(server_url) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                yield session


class RawSession:
    """A raw ClientSession kept open (as the engine's pooled one is) in one task
    of a loop of its own thread, driven block by block from this thread."""

    def __init__(self, transport, url):
        self.samples = Samples()
        self.commands, self.done = queue.Queue(), queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.task = asyncio.run_coroutine_threadsafe(self._serve(transport, url), self.loop)

    async def _serve(self, transport, url):
        async with raw_session(transport, url) as session:
            loop = asyncio.get_running_loop()
            while (count := await loop.run_in_executor(None, self.commands.get)) is not None:
                for _ in range(count):
                    started = time.perf_counter()
                    result = await session.call_tool("add", ARGUMENTS)
                    self.samples.append(time.perf_counter() - started)
                    assert not result.isError
                self.done.put(count)

    def block(self, count):
        self.commands.put(count)
        self.done.get(timeout=120)

    def close(self):
        self.commands.put(None)
        self.task.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def call_and_flush(env, server):
    """``call_tool()`` and the writes its transaction holds back until the commit
    (a JSON-RPC caller's request pays them): the run's finishing UPDATE."""
    server.call_tool("add", ARGUMENTS)
    env.flush_all()


def bench_call_tool(env, server, transport, url, engine, per_block=200):
    """The Odoo method beside the raw session and, to show where the rest goes,
    the engine alone (same pooled session, no run, no audit step)."""
    server.call_tool("add", ARGUMENTS)  # open the pooled session
    spec = server._engine_spec()
    raw = RawSession(transport, url)
    raw.block(5)
    raw.samples.clear()
    calls, engine_calls = Samples(), Samples()
    for _ in range(BLOCKS):
        raw.block(per_block)
        engine_calls.time(lambda: engine.call_tool(spec, "add", ARGUMENTS), per_block)
        calls.time(lambda: call_and_flush(env, server), per_block)
        env.cr.rollback()  # the runs and steps of a block: keep the transaction small
    raw.close()
    label = {"stdio": "stdio", "streamable_http": "streamable HTTP"}[transport]
    report("baseline: raw ClientSession.call_tool (%s)" % label, raw.samples)
    report("engine.call_tool(), no run (%s)" % label, engine_calls, raw.samples)
    report("mcp.server.call_tool() (%s)" % label, calls, raw.samples)
    print()


# -- CPU per request ---------------------------------------------------------------------


def postgres_cpu(db):
    """CPU seconds used so far by the PostgreSQL backends connected to ``db``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                command = handle.read().split(b"\0")[0].decode(errors="replace")
            if not command.startswith("postgres:") or " %s " % db not in command:
                continue
            with open("/proc/%s/stat" % pid) as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def bench_cpu(odoo, db, uid, api_key, stdio_server_id, per_block=100):
    from odoo.service import model  # noqa: PLC0415

    def execute_kw(model_name, method, args, kwargs=None):
        return model.dispatch(
            "execute_kw", [db, uid, api_key, model_name, method, args, kwargs or {}]
        )

    def check(route):
        def verify(result):
            assert result["status"] == "done" and result["route"]["kind"] == route, result

        return verify

    counter = iter(range(10**9))
    sides = {
        "baseline: execute_kw search_read (1 partner)": (
            lambda: execute_kw(
                "res.partner", "search_read", [[["id", "=", 1]]], {"fields": ["name"]}
            ),
            None,
        ),
        "ask via execute_kw: knowledge answer": (
            lambda: execute_kw("mcp.run", "ask", [QUESTIONS[next(counter) % len(QUESTIONS)]]),
            check("knowledge"),
        ),
        "ask via execute_kw: direct tool call (stdio)": (
            lambda: execute_kw(
                "mcp.run",
                "ask",
                ['/tool %d:add {"a": %d, "b": 1}' % (stdio_server_id, next(counter))],
            ),
            check("tool"),
        ),
    }
    for call, verify in sides.values():  # warm every path
        for _ in range(3):
            result = call()
            if verify:
                verify(result)
    cpu = {label: [] for label in sides}
    for _ in range(CPU_ROUNDS):
        for label, (call, _verify) in sides.items():
            python, postgres = time.process_time(), postgres_cpu(db)
            for _ in range(per_block):
                call()
            cpu[label].append(
                (
                    (time.process_time() - python) / per_block,
                    (postgres_cpu(db) - postgres) / per_block,
                )
            )
    print(
        "\nCPU per request (Python + PostgreSQL), %d rounds of a block of %d per side:"
        % (CPU_ROUNDS, per_block)
    )
    baseline = None
    for label, blocks in cpu.items():
        python = statistics.median(b[0] for b in blocks)
        postgres = statistics.median(b[1] for b in blocks)
        totals = [b[0] + b[1] for b in blocks]
        line = "%-52s %6.2f ms CPU (Python %.2f + PostgreSQL %.2f)" % (
            label,
            statistics.median(totals) * 1e3,
            python * 1e3,
            postgres * 1e3,
        )
        if baseline is None:
            baseline = totals
        else:
            # Per round, against the baseline block just before: the machine's
            # speed drifts between rounds more than within one.
            ratios = sorted(total / base for total, base in zip(totals, baseline, strict=True))
            line += "  ratio %.2fx (rounds %.2f-%.2f)" % (
                statistics.median(ratios),
                ratios[0],
                ratios[-1],
            )
        print(line, flush=True)


def parse_options(argv):
    """This bench's own options and the odoo-bin ones that follow or surround them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--database", default=DB)
    options, odoo_args = parser.parse_known_args(argv)
    options.only = set(filter(None, options.only.split(",")))
    if options.only - set(PARTS):
        raise SystemExit("--only takes some of %s" % ",".join(PARTS))
    return options, odoo_args


def main():
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    options, odoo_args = parse_options(sys.argv[1:])
    # The catalog servers listen on loopback; the network policy refuses it otherwise.
    os.environ.setdefault("MCP_CREW_ALLOWED_HOSTS", "127.0.0.1")
    odoo = setup_odoo(odoo_args)
    registry = ensure_database(odoo, options.database)
    url, http_server = start_catalog_server("--filler", FILLER)
    try:
        uid, api_key, servers = prepare(odoo, registry, url)
        from odoo.addons.mcp_crew.runtime import get_engine  # noqa: PLC0415

        engine = get_engine()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, uid, {})
            stdio = env["mcp.server"].browse(servers["stdio"])
            if "get_tools" in options.only:
                bench_get_tools(odoo, env, stdio, engine)
            if "call_tool" in options.only:
                bench_call_tool(env, stdio, "stdio", None, engine)
                bench_call_tool(
                    env,
                    env["mcp.server"].browse(servers["streamable_http"]),
                    "streamable_http",
                    url,
                    engine,
                )
            cr.rollback()
        if "cpu" in options.only:
            bench_cpu(odoo, options.database, uid, api_key, servers["stdio"])
    finally:
        http_server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())

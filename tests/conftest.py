"""Fixtures for the engine tests: real Redis, real MCP servers, no Odoo.

The repository root is put on ``sys.path`` so ``mcp_crew.services`` imports as a
plain package (the addon's ``__init__`` tolerates a missing ``odoo``).
"""

import contextlib
import os
import pathlib
import sys
import uuid

import psycopg2
import pytest
import redis

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp_crew.services.engine import McpEngine  # noqa: E402
from mcp_crew.services.settings import EngineSettings  # noqa: E402
from mcp_crew.services.spec import CacheScope, ServerSpec  # noqa: E402
from mcp_crew.tests.fake_openai import FakeOpenAI  # noqa: E402
from mcp_crew.tests.processes import (  # noqa: E402,F401
    CATALOG_SERVER,
    PrivateRedis,
    ServerProcess,
    free_port,
    start_catalog_server,
    wait_for_port,
)

EVERYTHING_JS = (
    ROOT / "tests/.node/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
)
PG_DSN = os.environ.get("MCP_CREW_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=root")
SHARED_REDIS_URL = os.environ.get("MCP_CREW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def scope():
    """A fresh company scope per test so tests never share cache keys."""
    return CacheScope("test_%s" % uuid.uuid4().hex[:8], 1)


@pytest.fixture
def fake():
    """The scripted OpenAI-compatible server on loopback (the only fake)."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def make_engine():
    engines = []

    def factory(**overrides):
        # The test MCP servers listen on loopback, which the network policy refuses by default.
        values = {
            "redis_url": SHARED_REDIS_URL,
            "circuit_reset_timeout": 30.0,
            "allowed_hosts": "127.0.0.1",
        }
        values.update(overrides)
        engine = McpEngine(EngineSettings(**values))
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(make_engine):
    return make_engine()


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    client.ping()
    return client


@pytest.fixture
def start_http_server():
    """Start ``catalog_server.py`` over streamable HTTP (or SSE); returns its URL."""
    processes = []

    def start(*options, transport="http"):
        url, proc = start_catalog_server(*options, transport=transport)
        processes.append(proc)
        return url, proc

    yield start
    for proc in processes:
        proc.kill()


def stdio_spec(scope, server_id=1, *options, **fields):
    return ServerSpec(
        scope,
        server_id,
        fields.pop("name", "stdio-%s" % server_id),
        "stdio",
        command=sys.executable,
        args=(str(CATALOG_SERVER), "stdio", *options),
        **fields,
    )


def http_spec(scope, server_id, url, **fields):
    transport = fields.pop("transport", "streamable_http")
    return ServerSpec(
        scope, server_id, fields.pop("name", "http-%s" % server_id), transport, url=url, **fields
    )


@pytest.fixture
def everything_js():
    if not EVERYTHING_JS.exists():
        pytest.fail(
            "@modelcontextprotocol/server-everything is not installed under tests/.node; "
            "run the README's test command (make test), which installs it"
        )
    return str(EVERYTHING_JS)


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


@contextlib.contextmanager
def throwaway_database():
    """The name of a new, empty PostgreSQL database, dropped afterwards."""
    name = "mcp_crew_test_%s" % uuid.uuid4().hex[:10]
    admin = psycopg2.connect(PG_DSN, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cr:
        cr.execute('CREATE DATABASE "%s"' % name)
    try:
        yield name
    finally:
        with admin.cursor() as cr:
            cr.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        admin.close()

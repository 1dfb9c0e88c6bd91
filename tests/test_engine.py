"""The engine's catalog cache, tool calls and failure rules, against real servers."""

import dataclasses
import logging
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ServerProcess, http_spec, stdio_spec
from mcp_crew.services.errors import (
    CircuitOpen,
    InvalidArguments,
    ServerTimeout,
    ServerUnavailable,
    ToolNotFound,
)
from mcp_crew.services.spec import CacheScope, ServerSpec


def test_fresh_catalog_is_served_without_contacting_the_server(
    make_engine, scope, start_http_server
):
    url, proc = start_http_server()
    spec = http_spec(scope, 1, url)
    worker_a = make_engine()
    assert worker_a.get_catalog(spec)["source"] == "live"
    proc.kill()  # From now on any contact with the server would fail.
    assert worker_a.get_catalog(spec)["source"] == "l1"
    # Another worker (separate L1) gets it from Redis.
    worker_b = make_engine()
    view = worker_b.get_catalog(spec)
    assert view["source"] == "l2"
    assert view["error"] is None
    assert worker_b.get_catalog(spec)["source"] == "l1"


def test_killed_server_serves_last_good_catalog_marked_stale(engine, scope, start_http_server):
    url, proc = start_http_server()
    spec = http_spec(scope, 1, url, cache_ttl=1)
    good = engine.get_catalog(spec)["catalog"]
    proc.kill()
    time.sleep(1.1)  # Let the entry's freshness lapse.
    view = engine.get_catalog(spec)
    assert view["source"] == "stale"
    assert view["catalog"] == good
    assert "unavailable" in view["error"]


def test_down_server_without_any_catalog_raises_fast(engine, scope):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # Closed again: nothing listens there.
    spec = http_spec(scope, 1, "http://127.0.0.1:%d/mcp" % port, timeout=30)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable):
        engine.get_catalog(spec)
    # Refused at once, never after the 30 s timeout (room for a busy machine).
    assert time.monotonic() - started < 10


class SilentServer:
    """Accepts TCP connections and never answers: a hung HTTP server."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.clients = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)

    def close(self):
        for client in self.clients:
            client.close()
        self.sock.close()


def test_hanging_http_server_fails_within_its_timeout(engine, scope):
    silent = SilentServer()
    try:
        spec = http_spec(
            scope, 1, "http://127.0.0.1:%d/mcp" % silent.port, timeout=1.0, start_timeout=1.0
        )
        started = time.monotonic()
        with pytest.raises(ServerTimeout):
            engine.get_catalog(spec)
        # Bounded by the timeouts, not by the server, which never answers.
        assert time.monotonic() - started < 30
    finally:
        silent.close()


def test_hanging_stdio_server_fails_within_its_timeout(engine, scope):
    spec = ServerSpec(
        scope,
        1,
        "mute",
        "stdio",
        command=sys.executable,
        args=("-c", "import time; time.sleep(60)"),
        timeout=1.0,
        start_timeout=1.0,
    )
    started = time.monotonic()
    with pytest.raises(ServerTimeout, match="start-up"):
        engine.get_catalog(spec)
    # Bounded by the start-up timeout, not by the 60 s the process sleeps.
    assert time.monotonic() - started < 30


def test_start_up_gets_its_own_timeout_longer_than_a_call(engine, scope):
    # The process needs 3 s before it answers initialize; calls get 1 s each.
    slow_start = (
        "import time, runpy, sys; time.sleep(3); sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    spec = stdio_spec(scope, 1, timeout=1.0)
    spec = dataclasses.replace(spec, args=("-c", slow_start, *spec.args))
    assert engine.call_tool(spec, "echo", {"text": "started"})["text"] == "started"


def test_slow_tool_call_times_out_and_session_recovers(engine, scope):
    # The call timeout bounds the call only: starting the server may take longer
    # on a busy machine (its own start_timeout).
    spec = stdio_spec(scope, 1, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ServerTimeout, match="sleep"):
        engine.call_tool(spec, "sleep", {"seconds": 60})
    # Cut by the 1 s call timeout, long before the 60 s the tool would sleep
    # (the bound leaves room for a start-up on a busy machine).
    assert time.monotonic() - started < 30
    assert engine.call_tool(spec, "echo", {"text": "back"})["text"] == "back"


def test_parallel_discovery_takes_about_the_slowest_server(engine, scope, start_http_server):
    # Each server waits 3 s per listing (tools, resources): 6 s each, 18 s in
    # sequence. The waits dominate, so the bound holds on a busy machine too.
    specs = [stdio_spec(scope, 1, "--list-delay", "3", timeout=10)]
    for server_id in (2, 3):
        url, _proc = start_http_server("--list-delay", "3")
        specs.append(http_spec(scope, server_id, url, timeout=10))
    started = time.monotonic()
    results = engine.refresh_many(specs)
    wall = time.monotonic() - started
    assert all(error is None for _entry, error in results.values()), results
    assert {len(entry["catalog"]["tools"]) for entry, _error in results.values()} == {6}
    assert 6.0 <= wall < 12.0, "parallel discovery took %.2f s" % wall


def test_parallel_discovery_reports_each_failure_separately(engine, scope):
    good = stdio_spec(scope, 1)
    bad = ServerSpec(scope, 2, "missing", "stdio", command="/nonexistent/mcp-server")
    results = engine.refresh_many([good, bad])
    assert results[1][1] is None and results[1][0]["catalog"]["tools"]
    assert results[2][0] is None
    assert isinstance(results[2][1], ServerUnavailable)
    assert "not found" in str(results[2][1]) or "No such file" in str(results[2][1])


def test_circuit_opens_after_repeated_failures_and_half_opens(make_engine, scope):
    engine = make_engine(circuit_failure_threshold=2, circuit_reset_timeout=1.0)
    spec = ServerSpec(scope, 1, "missing", "stdio", command="/nonexistent/mcp-server")
    for _attempt in range(2):
        with pytest.raises(ServerUnavailable) as info:
            engine.get_catalog(spec)
        assert not isinstance(info.value, CircuitOpen)
    with pytest.raises(CircuitOpen):
        engine.get_catalog(spec)
    assert engine.breakers.get(spec).state == "open"
    time.sleep(1.1)
    assert engine.breakers.get(spec).state == "half_open"
    # The server is fixed (same id, new command): the trial call closes the circuit.
    fixed = stdio_spec(scope, 1)
    assert engine.get_catalog(fixed)["source"] == "live"
    assert engine.breakers.get(fixed).state == "closed"


def test_invalid_arguments_are_rejected_before_any_call(engine, scope, start_http_server):
    url, proc = start_http_server()
    spec = http_spec(scope, 1, url)
    engine.get_catalog(spec)
    proc.kill()  # Were the call sent, it would fail with ServerUnavailable instead.
    with pytest.raises(InvalidArguments) as info:
        engine.call_tool(spec, "add", {"a": 1, "b": "two"})
    assert info.value.field_path == "b"
    with pytest.raises(InvalidArguments) as info:
        engine.call_tool(spec, "add", {"a": 1})
    assert info.value.field_path == "b"
    assert "is required" in str(info.value)
    with pytest.raises(InvalidArguments):
        engine.call_tool(spec, "add", {"a": 1, "b": 2, "c": 3})
    with pytest.raises(ToolNotFound):
        engine.call_tool(spec, "no_such_tool", {})


def test_call_tool_returns_content_structured_content_and_tool_errors(engine, scope):
    spec = stdio_spec(scope, 1)
    result = engine.call_tool(spec, "add", {"a": 20, "b": 22})
    assert result["structured_content"] == {"sum": 42}
    assert result["is_error"] is False
    assert result["content"][0]["type"] == "text"
    failed = engine.call_tool(spec, "fail", {})
    assert failed["is_error"] is True
    assert "always fails" in failed["text"]
    # A tool's own error is an answer, not a server failure.
    assert engine.breakers.get(spec).state == "closed"


def test_a_result_that_breaks_its_output_schema_is_an_error_result(engine, scope):
    spec = stdio_spec(scope, 1, "--broken-output")
    text = engine.call_tool(spec, "sum_as_text", {})
    assert text["is_error"] is True
    assert text["text"] == (
        "Tool sum_as_text answered, but its structured content does not fit its output "
        "schema: sum 'three' is not of type 'integer'."
    )
    assert text["structured_content"] == {"sum": "three"}  # kept, for whoever inspects it
    missing = engine.call_tool(spec, "sum_unstructured", {})
    assert missing["is_error"] is True
    assert "declares an output schema but returned no structured content" in missing["text"]
    # The tool's fault, not the server's: the session and the circuit stay as they were.
    assert engine.call_tool(spec, "add", {"a": 1, "b": 2})["structured_content"] == {"sum": 3}
    assert engine.breakers.get(spec).state == "closed"
    assert len(engine.pool) == 1


def test_calls_reuse_one_session(engine, scope):
    spec = stdio_spec(scope, 1)
    engine.call_tool(spec, "echo", {"text": "one"})
    first = engine.pool._sessions[(scope, 1)]
    for text in ("two", "three"):
        engine.call_tool(spec, "echo", {"text": text})
    assert engine.pool._sessions[(scope, 1)] is first
    assert len(engine.pool) == 1


def test_killed_stdio_server_fails_fast_then_reconnects(engine, scope):
    marker = "killme-%s" % scope.db
    spec = stdio_spec(scope, 1, "--name", marker, timeout=30)
    engine.call_tool(spec, "echo", {"text": "one"})
    managed = engine.pool._sessions[(scope, 1)]
    subprocess.run(["pkill", "-9", "-f", marker], check=True)
    time.sleep(0.3)
    started = time.monotonic()
    try:
        # Either the dead session is noticed and replaced transparently, or the
        # call fails at once; it never waits for the 30 s timeout (the bound
        # leaves room for a new process to start on a busy machine).
        assert engine.call_tool(spec, "echo", {"text": "two"})["text"] == "two"
    except ServerUnavailable:
        pass
    assert time.monotonic() - started < 15
    assert engine.call_tool(spec, "echo", {"text": "three"})["text"] == "three"
    assert engine.pool._sessions[(scope, 1)] is not managed


def test_editing_a_server_changes_its_fingerprint_and_misses_the_cache(engine, scope):
    spec = stdio_spec(scope, 1)
    assert engine.get_catalog(spec)["source"] == "live"
    assert engine.get_catalog(spec)["source"] == "l1"
    edited = stdio_spec(scope, 1, revision=1)
    assert edited.fingerprint != spec.fingerprint
    assert engine.get_catalog(edited)["source"] == "live"


def test_invalidate_forgets_the_catalog(engine, scope, shared_redis):
    spec = stdio_spec(scope, 1)
    engine.get_catalog(spec)
    assert shared_redis.exists(spec.catalog_key())
    engine.forget(spec.scope, spec.server_id)
    assert not shared_redis.exists(spec.catalog_key())
    assert engine.get_catalog(spec)["source"] == "live"


def test_company_scopes_never_share_cache_entries(engine, shared_redis):
    company_a = CacheScope("isolation_db", 1)
    company_b = CacheScope("isolation_db", 2)
    spec_a = stdio_spec(company_a, 1)
    engine.get_catalog(spec_a, force=True)
    spec_b = stdio_spec(company_b, 1)
    assert spec_a.catalog_key() != spec_b.catalog_key()
    assert spec_a.catalog_key().startswith("mcp_crew:{isolation_db:1}:")
    assert engine.cached_entry(spec_b) is None
    assert not shared_redis.exists(spec_b.catalog_key())


def test_everything_works_with_redis_stopped(make_engine, scope, private_redis, caplog):
    engine = make_engine(redis_url=private_redis.url, redis_retry_interval=60)
    spec = stdio_spec(scope, 1)
    private_redis.stop()
    caplog.set_level(logging.WARNING, logger="mcp_crew.services.cache")
    assert engine.get_catalog(spec)["source"] == "live"
    assert engine.get_catalog(spec)["source"] == "l1"
    assert engine.call_tool(spec, "add", {"a": 1, "b": 2})["structured_content"] == {"sum": 3}
    engine.cache.l1.clear()
    assert engine.get_catalog(spec)["source"] == "live"
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1, "one warning per interval, got %d" % len(warnings)


def test_cache_recovers_when_redis_returns(make_engine, scope, private_redis):
    engine = make_engine(redis_url=private_redis.url, redis_retry_interval=0.5)
    spec = stdio_spec(scope, 1)
    private_redis.stop()
    engine.get_catalog(spec)
    private_redis.start()
    time.sleep(0.6)
    engine.cache.l1.clear()
    engine.get_catalog(spec, force=True)
    engine.cache.l1.clear()
    assert engine.get_catalog(spec)["source"] == "l2"


def test_test_connection_reports_name_version_and_latency(engine, scope, start_http_server):
    url, _proc = start_http_server("--name", "probe-me")
    info = engine.test_connection(http_spec(scope, 1, url))
    assert info["name"] == "probe-me"
    assert info["version"] == "1.2.3"
    assert info["connect_ms"] > 0 and info["ping_ms"] > 0


def test_server_process_helper_reports_early_exit():
    proc = ServerProcess([sys.executable, "-c", "raise SystemExit(3)"], port=1)
    with pytest.raises(RuntimeError):
        proc.start()

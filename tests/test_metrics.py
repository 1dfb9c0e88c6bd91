"""Metrics shared by workers through Redis, parsed as Prometheus would."""

import time
import uuid

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from conftest import stdio_spec
from mcp_crew.services import metrics
from mcp_crew.services.cache import JsonCodec, RedisL2
from mcp_crew.services.errors import InvalidArguments
from mcp_crew.services.spec import CacheScope


@pytest.fixture
def db():
    return "metrics_%s" % uuid.uuid4().hex[:8]


def recorder(client, **options):
    l2 = RedisL2("redis://unused", JsonCodec(1000), 0.5, 0.3, client=client)
    return metrics.MetricsRecorder(l2, **options)


def families(text):
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(family, **labels):
    matches = [
        sample.value
        for sample in family.samples
        if all(sample.labels.get(key) == str(val) for key, val in labels.items())
    ]
    assert len(matches) == 1, (labels, family.samples)
    return matches[0]


def test_two_workers_are_summed_and_parsed_by_prometheus(shared_redis, db):
    worker_a, worker_b = recorder(shared_redis), recorder(shared_redis)
    one, two = CacheScope(db, 1), CacheScope(db, 2)
    for seconds in (0.004, 0.02, 0.3):
        worker_a.inc("mcp_crew_tool_calls_total", one, server=3, tool="echo", outcome="ok")
        worker_a.observe("mcp_crew_tool_call_seconds", one, seconds, server=3, tool="echo")
    worker_b.inc("mcp_crew_tool_calls_total", one, server=3, tool="echo", outcome="ok")
    worker_b.inc("mcp_crew_tool_calls_total", two, server=9, tool="echo", outcome="failed")
    worker_b.inc("mcp_crew_cache_requests_total", one, level="l1", result="hit")
    worker_a.flush()
    samples, redis_up = worker_b.snapshot(db)  # worker B scrapes, its own share flushed first
    assert redis_up
    parsed = families(metrics.render(samples, redis_up=redis_up))
    calls = parsed["mcp_crew_tool_calls"]
    assert value(calls, company=1, server=3, tool="echo", outcome="ok") == 4
    assert value(calls, company=2, server=9, tool="echo", outcome="failed") == 1
    latency = parsed["mcp_crew_tool_call_seconds"]
    assert latency.type == "histogram"
    buckets = {
        sample.labels["le"]: sample.value
        for sample in latency.samples
        if sample.name.endswith("_bucket")
    }
    assert (buckets["0.005"], buckets["0.025"], buckets["0.5"], buckets["+Inf"]) == (1, 2, 3, 3)
    assert len(buckets) == len(metrics.DEFAULT_BUCKETS) + 1  # every bucket, even empty ones
    totals = {s.name: s.value for s in latency.samples if not s.name.endswith("_bucket")}
    assert totals == {
        "mcp_crew_tool_call_seconds_count": 3,
        "mcp_crew_tool_call_seconds_sum": pytest.approx(0.324),
    }
    assert value(parsed["mcp_crew_cache_requests"], company=1, level="l1", result="hit") == 1
    assert value(parsed["mcp_crew_metrics_redis_up"]) == 1
    # One hash per company, hash-tagged, with a TTL.
    keys = sorted(key.decode() for key in shared_redis.keys("mcp_crew:{%s:*" % db))
    assert keys == ["mcp_crew:{%s:1}:metrics:all" % db, "mcp_crew:{%s:2}:metrics:all" % db]
    assert 0 < shared_redis.ttl(keys[0]) <= metrics.METRICS_TTL


def count_tool_calls(worker, db, tools):
    """One successful call of each of ``tools`` tools (t0, t1, …) of server 1."""
    for index in range(tools):
        worker.inc(
            "mcp_crew_tool_calls_total",
            CacheScope(db, 1),
            server=1,
            tool="t%d" % index,
            outcome="ok",
        )


def test_cardinality_is_bounded(shared_redis, db):
    worker = recorder(shared_redis, max_series=3)
    count_tool_calls(worker, db, tools=10)
    samples, _up = worker.snapshot(db)
    tools = sorted(
        families(metrics.render(samples))["mcp_crew_tool_calls"].samples,
        key=lambda sample: sample.labels["tool"],
    )
    assert [(s.labels["tool"], s.value) for s in tools] == [
        ("_other", 7),
        ("t0", 1),
        ("t1", 1),
        ("t2", 1),
    ]


def test_remembered_fields_keep_counts_and_the_bound(shared_redis, db, monkeypatch):
    # A memo smaller than the label sets: fields are forgotten and worked out again.
    monkeypatch.setattr(metrics, "FIELD_MEMO_SIZE", 2)
    worker = recorder(shared_redis, max_series=3)
    for _round in range(3):
        count_tool_calls(worker, db, tools=5)
    samples, _up = worker.snapshot(db)
    counted = families(metrics.render(samples))["mcp_crew_tool_calls"].samples
    assert sorted((s.labels["tool"], s.value) for s in counted) == [
        ("_other", 6),
        ("t0", 3),
        ("t1", 3),
        ("t2", 3),
    ]


def test_labels_are_escaped(shared_redis, db):
    worker = recorder(shared_redis)
    worker.inc(
        "mcp_crew_tool_calls_total",
        CacheScope(db, 1),
        server=1,
        tool='say "hi"\\\n',
        outcome="ok",
    )
    samples, _up = worker.snapshot(db)
    sample = families(metrics.render(samples))["mcp_crew_tool_calls"].samples[0]
    assert sample.labels["tool"] == 'say "hi"\\\n'


def test_redis_down_keeps_counts_until_it_returns(private_redis, db):
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.5)
    worker = recorder(client)
    private_redis.stop()
    worker.inc("mcp_crew_runs_total", CacheScope(db, 1), route="tool", status="done")
    samples, redis_up = worker.snapshot(db)
    assert not redis_up
    parsed = families(metrics.render(samples, redis_up=redis_up))
    assert value(parsed["mcp_crew_runs"], company=1, route="tool", status="done") == 1
    assert value(parsed["mcp_crew_metrics_redis_up"]) == 0
    private_redis.start()
    time.sleep(0.35)  # the cache's retry interval (0.3 s) before Redis is tried again
    worker.inc("mcp_crew_runs_total", CacheScope(db, 1), route="tool", status="done")
    samples, redis_up = worker.snapshot(db)
    assert redis_up
    assert value(families(metrics.render(samples))["mcp_crew_runs"], company=1) == 2
    assert float(client.hget("mcp_crew:{%s:1}:metrics:all" % db, next(iter(samples)))) == 2


def test_a_scrape_shows_only_its_own_database(shared_redis, db):
    worker = recorder(shared_redis)
    worker.inc("mcp_crew_runs_total", CacheScope(db, 1), route="tool", status="done")
    worker.inc("mcp_crew_runs_total", CacheScope(db + "_other", 1), route="tool", status="done")
    worker.flush()
    worker.inc("mcp_crew_runs_total", CacheScope(db + "_other", 1), route="crew", status="done")
    samples, _up = worker.snapshot(db)
    assert list(samples) == ['mcp_crew_runs_total{company="1",route="tool",status="done"}']


def test_the_engine_counts_what_happened(engine, scope):
    spec = stdio_spec(scope)
    engine.get_catalog(spec)  # miss, miss, then a discovery
    engine.get_catalog(spec)  # l1 hit
    engine.cache.l1.clear()
    engine.get_catalog(spec)  # l1 miss, l2 hit
    engine.call_tool(spec, "add", {"a": 1, "b": 2})
    engine.call_tool(spec, "fail", {})
    with pytest.raises(InvalidArguments):  # refused before any call: not counted
        engine.call_tool(spec, "add", {"a": "x", "b": 2})
    samples, _up = engine.metrics.snapshot(scope.db)
    parsed = families(metrics.render(samples))
    lookups = parsed["mcp_crew_cache_requests"]
    # The second get_catalog and the three calls' tool lookups.
    assert value(lookups, level="l1", result="hit") == 4
    assert value(lookups, level="l1", result="miss") == 2
    assert value(lookups, level="l2", result="miss") == 1
    assert value(lookups, level="l2", result="hit") == 1
    calls = parsed["mcp_crew_tool_calls"]
    assert value(calls, tool="add", outcome="ok") == 1
    assert value(calls, tool="fail", outcome="tool_error") == 1
    discovery = parsed["mcp_crew_discovery_seconds"]
    count = [s for s in discovery.samples if s.name.endswith("_count")]
    assert [(s.labels["outcome"], s.value) for s in count] == [("ok", 1)]

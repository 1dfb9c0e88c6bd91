"""The two-level cache against real Redis servers (shared and private)."""

import gzip
import json
import logging
import math
import time

import pytest
import redis

from mcp_crew.services.cache import JsonCodec, L1Cache, RedisL2, TieredCache


def test_codec_compresses_only_above_threshold():
    codec = JsonCodec(gzip_threshold=100)
    small = {"a": "x" * 10}
    large = {"a": "y" * 1000}
    assert codec.encode(small).startswith(b"{")
    packed = codec.encode(large)
    assert packed[:2] == b"\x1f\x8b" and len(packed) < 200
    assert codec.decode(codec.encode(small)) == small
    assert codec.decode(packed) == large


def test_codec_reads_back_what_json_loads_reads():
    codec = JsonCodec(gzip_threshold=100)
    # orjson (the decoder) reads integers beyond 64 bits as floats and refuses
    # NaN/Infinity: those entries are marked and read by json.loads.
    exact = {"max": 2**64 - 1, "min": -(2**63), "ratio": 0.1, "count": 100, "big": 1e300}
    for value, marked in (
        (exact, False),
        ({"max": 2**64}, True),
        ({"min": -(2**63) - 1}, True),
        ({"default": float("nan")}, True),
        ({"limit": float("inf"), "pad": "z" * 200}, True),
    ):
        data = codec.encode(value)
        plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        assert plain.startswith(b" ") is marked
        decoded = codec.decode(data)
        # The same text: the same values and the same types (2.0**64 == 2**64).
        assert json.dumps(decoded) == json.dumps(value)


def test_codec_reads_unmarked_entries_orjson_refuses():
    # Written by a version without the mark: json.dumps writes NaN as is.
    assert math.isnan(JsonCodec(100).decode(b'{"default":NaN}')["default"])
    with pytest.raises(ValueError):
        JsonCodec(100).decode(b"{broken json")


def test_l1_expires_entries_and_stays_bounded():
    l1 = L1Cache(max_entries=3)
    l1.set("short", 1, ttl=0.05)
    time.sleep(0.06)
    assert l1.get("short") is None
    for i in range(5):
        l1.set("k%d" % i, i, ttl=60)
    assert len(l1) == 3
    assert l1.get("k0") is None and l1.get("k4") == 4


def test_l2_writes_json_with_a_ttl_on_every_key(shared_redis, scope):
    l2 = RedisL2("redis://unused", JsonCodec(100), 0.5, 5, client=shared_redis)
    key = scope.key("catalog", 1)
    assert l2.set(key, {"tools": ["a"]}, ttl=120)
    assert 0 < shared_redis.ttl(key) <= 120
    raw = shared_redis.get(key)
    assert raw == b'{"tools":["a"]}'
    assert l2.get(key) == {"tools": ["a"]}


def test_l2_drops_garbage_instead_of_raising(shared_redis, scope, caplog):
    l2 = RedisL2("redis://unused", JsonCodec(10), 0.5, 5, client=shared_redis)
    key = scope.key("catalog", 2)
    shared_redis.set(key, b"\x1f\x8bnot really gzip", ex=60)
    caplog.set_level(logging.WARNING)
    assert l2.get(key) is None
    assert not shared_redis.exists(key)
    shared_redis.set(key, b"{broken json", ex=60)
    assert l2.get(key) is None


def test_l2_degrades_when_redis_stops_and_recovers(private_redis, caplog):
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    l2 = RedisL2(private_redis.url, JsonCodec(1000), 0.5, retry_interval=0.3, client=client)
    assert l2.set("k", {"v": 1}, 60)
    private_redis.stop()
    caplog.set_level(logging.WARNING)
    assert l2.get("k") is None
    assert l2.set("k", {"v": 2}, 60) is False
    assert not l2.available
    private_redis.start()
    time.sleep(0.35)
    assert l2.set("k", {"v": 3}, 60)
    assert l2.get("k") == {"v": 3}
    assert sum("Redis unavailable" in r.getMessage() for r in caplog.records) == 1


def test_tiered_cache_counts_hits_and_misses_per_level(shared_redis, scope):
    l2 = RedisL2("redis://unused", JsonCodec(1000), 0.5, 5, client=shared_redis)
    cache = TieredCache(L1Cache(10), l2, l1_ttl=30)
    key = scope.key("catalog", 3)
    assert cache.get(key) == (None, None)
    cache.set(key, {"v": 1}, ttl=60)
    assert cache.get(key) == ({"v": 1}, "l1")
    cache.l1.clear()
    assert cache.get(key) == ({"v": 1}, "l2")
    assert cache.get(key)[1] == "l1"
    assert cache.stats == {"l1_miss": 2, "l2_miss": 1, "l2_hit": 1, "l1_hit": 2}
    cache.delete(key)
    assert cache.get(key) == (None, None)

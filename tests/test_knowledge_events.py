"""Knowledge events on Redis Streams: real shared Redis, and a private one to kill."""

import time
import uuid

import pytest
import redis

from mcp_crew.services.cache import JsonCodec, RedisL2
from mcp_crew.services.errors import RedisUnavailable
from mcp_crew.services.knowledge import events
from mcp_crew.services.spec import CacheScope


@pytest.fixture
def db_name(shared_redis):
    """A database name of its own; every stream key under it is deleted afterwards."""
    name = "testdb_%s" % uuid.uuid4().hex[:8]
    yield name
    keys = list(shared_redis.scan_iter(match="mcp_crew:{%s:*" % name))
    if keys:
        shared_redis.delete(*keys)


@pytest.fixture
def scope(db_name):
    return CacheScope(db_name, 1)


@pytest.fixture
def l2(shared_redis):
    return RedisL2("redis://unused", JsonCodec(1000), 0.5, 5, client=shared_redis)


def make_event(outbox_id, company_id=1, kind="faq", topic="sales/pricing", event="created"):
    return {
        "event": event,
        "knowledge_id": 100 + outbox_id,
        "type": kind,
        "topic": topic,
        "tags": ["tag-%d" % outbox_id, "shared"],
        "version": outbox_id % 3 + 1,
        "outbox_id": outbox_id,
        "company_id": company_id,
        "at": "2024-03-12T10:%02d:00Z" % outbox_id,
    }


def outbox_ids(received):
    return [event.outbox_id for event in received]


def read_all(consumer, count=100):
    """Fetch until the consumer runs dry."""
    received = []
    for _ in range(50):
        batch = consumer.fetch(count=count)
        if not batch:
            return received
        received.extend(batch)
    raise AssertionError("the consumer never ran dry")


def test_consumer_reads_published_events_in_order_with_all_fields(shared_redis, l2, scope):
    sent = [make_event(i, event=events.EVENT_TYPES[i % 4]) for i in range(1, 6)]
    stream_ids = events.publish(l2, scope, sent)
    assert len(stream_ids) == 5 and all(isinstance(i, str) for i in stream_ids)
    assert shared_redis.xlen(events.stream_key(scope)) == 5
    assert events.stream_key(scope) == "mcp_crew:{%s:1}:stream:knowledge" % scope.db

    consumer = events.EventConsumer(shared_redis, scope, "g1", "c1")
    received = consumer.fetch()
    assert [event.stream_id for event in received] == stream_ids
    for event, original in zip(received, sent, strict=True):
        assert event == events.KnowledgeEvent(
            stream_id=event.stream_id,
            event=original["event"],
            knowledge_id=original["knowledge_id"],
            type="faq",
            topic="sales/pricing",
            tags=tuple(original["tags"]),
            version=original["version"],
            outbox_id=original["outbox_id"],
            company_id=1,
            at=original["at"],
        )
    consumer.ack(*received)
    assert shared_redis.xpending(consumer.key, "g1")["pending"] == 0
    assert consumer.fetch() == []
    assert events.publish(l2, scope, []) == []


def test_filters_by_type_and_topic_glob_ack_the_rest(shared_redis, l2, scope):
    sent = [
        make_event(1, kind="faq", topic="sales/pricing"),
        make_event(2, kind="procedure", topic="sales/pricing"),
        make_event(3, kind="faq", topic="support/returns"),
        make_event(4, kind="faq", topic="sales/discounts"),
        make_event(5, kind="policy", topic="hr/leave"),
        make_event(6, kind="", topic=""),
    ]
    stream_ids = events.publish(l2, scope, sent)
    consumer = events.EventConsumer(
        shared_redis, scope, "g1", "c1", types=["faq"], topics=["sales/*"]
    )
    received = consumer.fetch()
    assert outbox_ids(received) == [1, 4]
    pending = shared_redis.xpending_range(consumer.key, "g1", min="-", max="+", count=100)
    assert sorted(entry["message_id"].decode() for entry in pending) == sorted(
        [stream_ids[0], stream_ids[3]]
    ), "non-matching entries are acknowledged at once"
    consumer.ack(*received)
    assert shared_redis.xpending(consumer.key, "g1")["pending"] == 0

    # Never returned again, not even to the same consumer after a restart.
    restarted = events.EventConsumer(
        shared_redis, scope, "g1", "c1", types=["faq"], topics=["sales/*"]
    )
    assert read_all(restarted) == []
    # Another group with only a type filter sees its own selection.
    by_type = events.EventConsumer(shared_redis, scope, "g2", "c1", types=["procedure", "policy"])
    assert outbox_ids(read_all(by_type)) == [2, 5]
    by_topic = events.EventConsumer(shared_redis, scope, "g3", "c1", topics=["*/pricing", "hr/*"])
    assert outbox_ids(read_all(by_topic)) == [1, 2, 5]


def test_unacknowledged_entries_come_back_first_after_a_restart(shared_redis, l2, scope):
    events.publish(l2, scope, [make_event(i) for i in range(1, 4)])
    consumer = events.EventConsumer(shared_redis, scope, "g1", "c1")
    assert outbox_ids(consumer.fetch()) == [1, 2, 3]
    # Crash: nothing acknowledged. Meanwhile two more arrive.
    del consumer
    events.publish(l2, scope, [make_event(4), make_event(5)])

    restarted = events.EventConsumer(shared_redis, scope, "g1", "c1")
    first = restarted.fetch()
    assert outbox_ids(first) == [1, 2, 3]
    second = restarted.fetch()
    assert outbox_ids(second) == [4, 5]
    restarted.ack(*first, *second)
    assert restarted.fetch() == []
    assert shared_redis.xpending(restarted.key, "g1")["pending"] == 0


def test_pending_replay_pages_with_small_counts(shared_redis, l2, scope):
    events.publish(l2, scope, [make_event(i) for i in range(1, 8)])
    consumer = events.EventConsumer(shared_redis, scope, "g1", "c1")
    assert outbox_ids(consumer.fetch(count=100)) == list(range(1, 8))
    restarted = events.EventConsumer(shared_redis, scope, "g1", "c1")
    assert outbox_ids(read_all(restarted, count=3)) == list(range(1, 8))


def test_consumer_that_was_down_catches_up_without_loss_or_repeat(shared_redis, l2, scope):
    events.publish(l2, scope, [make_event(i) for i in range(1, 6)])
    consumer = events.EventConsumer(shared_redis, scope, "g1", "c1")
    handled = consumer.fetch()
    consumer.ack(*handled)
    # The consumer stops; the knowledge keeps changing.
    del consumer
    events.publish(l2, scope, [make_event(i) for i in range(6, 11)])
    # A group created only now, starting from "$", sees nothing of the past...
    late = events.EventConsumer(shared_redis, scope, "late", "c1", start="$")
    # ...and one starting from "0" replays what the stream holds.
    replay = events.EventConsumer(shared_redis, scope, "replay", "c1", start="0")

    # An existing group keeps its own position whatever ``start`` says.
    back = events.EventConsumer(shared_redis, scope, "g1", "c1", start="$")
    caught_up = read_all(back)
    handled += caught_up
    assert outbox_ids(caught_up) == list(range(6, 11))
    assert outbox_ids(handled) == list(range(1, 11))
    back.ack(*caught_up)

    assert read_all(late) == []
    assert outbox_ids(read_all(replay)) == list(range(1, 11))
    events.publish(l2, scope, [make_event(11)])
    assert outbox_ids(read_all(late)) == [11]
    assert outbox_ids(read_all(back)) == [11]
    # A second consumer of the same group gets nothing already delivered.
    other = events.EventConsumer(shared_redis, scope, "g1", "c2")
    assert read_all(other) == []


def test_companies_never_see_each_others_events(shared_redis, l2, db_name):
    first, second = CacheScope(db_name, 1), CacheScope(db_name, 2)
    assert events.stream_key(first) != events.stream_key(second)
    events.publish(l2, first, [make_event(i, company_id=1) for i in range(1, 4)])
    events.publish(l2, second, [make_event(i, company_id=2) for i in range(10, 12)])
    one = events.EventConsumer(shared_redis, first, "g1", "c1")
    two = events.EventConsumer(shared_redis, second, "g1", "c1")
    seen_one, seen_two = read_all(one), read_all(two)
    assert outbox_ids(seen_one) == [1, 2, 3]
    assert {event.company_id for event in seen_one} == {1}
    assert outbox_ids(seen_two) == [10, 11]
    assert {event.company_id for event in seen_two} == {2}
    # Same company id in another database: another stream as well.
    elsewhere = CacheScope(db_name + "_other", 1)
    assert events.stream_key(elsewhere) != events.stream_key(first)
    try:
        assert read_all(events.EventConsumer(shared_redis, elsewhere, "g1", "c1")) == []
    finally:
        shared_redis.delete(events.stream_key(elsewhere))


def test_stream_is_trimmed_to_about_maxlen(shared_redis, l2, scope):
    for start in range(0, 2000, 250):
        batch = [make_event(i) for i in range(start, start + 250)]
        events.publish(l2, scope, batch, maxlen=100)
    length = shared_redis.xlen(events.stream_key(scope))
    assert 100 <= length < 500
    # The newest entries are the ones kept.
    last = shared_redis.xrevrange(events.stream_key(scope), count=1)[0][1]
    assert last[b"outbox_id"] == b"1999"


def test_publish_fails_fast_while_redis_is_down_and_recovers(private_redis):
    scope = CacheScope("testdb_%s" % uuid.uuid4().hex[:8], 1)
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    l2 = RedisL2(private_redis.url, JsonCodec(1000), 0.5, retry_interval=0.2, client=client)
    assert len(events.publish(l2, scope, [make_event(1)])) == 1

    private_redis.stop()
    started = time.monotonic()
    with pytest.raises(RedisUnavailable):
        events.publish(l2, scope, [make_event(2), make_event(3)])
    # A refused connection fails at once, not after retries (bound: a busy machine).
    assert time.monotonic() - started < 5.0
    with pytest.raises(RedisUnavailable, match="next attempt"):
        events.publish(l2, scope, [make_event(2), make_event(3)])
    assert not l2.available

    private_redis.start()
    time.sleep(0.25)
    ids = events.publish(l2, scope, [make_event(2), make_event(3)])
    assert len(ids) == 2
    consumer = events.EventConsumer(client, scope, "g1", "c1")
    # The restarted server kept nothing (no persistence): only the new entries.
    assert outbox_ids(consumer.fetch()) == [2, 3]


def test_consumer_raises_redis_unavailable_when_redis_is_down(private_redis):
    scope = CacheScope("testdb_%s" % uuid.uuid4().hex[:8], 1)
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    consumer = events.EventConsumer(client, scope, "g1", "c1")
    private_redis.stop()
    with pytest.raises(RedisUnavailable):
        consumer.fetch()
    with pytest.raises(RedisUnavailable):
        events.EventConsumer(client, scope, "g2", "c1")


def test_pending_entries_trimmed_off_the_stream_are_dropped(shared_redis, l2, scope):
    events.publish(l2, scope, [make_event(i) for i in range(1, 4)])
    consumer = events.EventConsumer(shared_redis, scope, "g1", "c1")
    assert outbox_ids(consumer.fetch()) == [1, 2, 3]
    # Crash without ack; the stream moves on and its oldest entries are trimmed.
    shared_redis.xtrim(consumer.key, maxlen=0)
    events.publish(l2, scope, [make_event(4)])
    restarted = events.EventConsumer(shared_redis, scope, "g1", "c1")
    assert outbox_ids(read_all(restarted)) == [4]
    pending = shared_redis.xpending(restarted.key, "g1")["pending"]
    assert pending == 1, "only the delivered, unacknowledged event 4 stays pending"

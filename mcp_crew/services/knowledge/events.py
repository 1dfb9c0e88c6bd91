"""Knowledge change events on a Redis Stream per company.

Producer side (:func:`publish`): the adapter keeps every event in a database
outbox inside the transaction that changed the knowledge, and after commit
hands the pending rows, oldest first, to :func:`publish`, which appends them in
one MULTI/EXEC — all or none — to ``mcp_crew:{<db>:<company>}:stream:knowledge``,
trimmed to about ``maxlen`` entries. Only when that succeeds are the rows
removed, so Redis being down delays events but never loses or reorders them.
Delivery is at least once (a crash between the append and the removal
republishes); each event carries its ``outbox_id`` for consumers to drop repeats.

Consumer side (:class:`EventConsumer`): a consumer group per subscriber; the
group remembers the last delivered entry, so a consumer that was down catches
up where it stopped, and entries it received but never acknowledged are
delivered to it again first. Filtering by knowledge type and topic (glob
patterns) happens here: entries outside the filter are acknowledged unseen.
"""

import dataclasses
import fnmatch
import json

import redis

from ..cache import unavailable_on_failure

EVENT_TYPES = ("created", "versioned", "expired", "deleted")
DEFAULT_MAXLEN = 100_000


def stream_key(scope):
    return scope.key("stream", "knowledge")


def encode(event):
    """Stream fields (flat strings) of an event dict."""
    return {
        "event": event["event"],
        "knowledge_id": str(event["knowledge_id"]),
        "type": event.get("type") or "",
        "topic": event.get("topic") or "",
        "tags": json.dumps(list(event.get("tags") or [])),
        "version": str(event.get("version") or 0),
        "outbox_id": str(event["outbox_id"]),
        "company_id": str(event["company_id"]),
        "at": event["at"],
    }


def publish(l2, scope, events, maxlen=DEFAULT_MAXLEN):
    """Append ``events`` in order, atomically; return their stream ids.

    Raises :class:`~..errors.RedisUnavailable` when nothing could be written.
    """
    if not events:
        return []
    key = stream_key(scope)

    def append(client):
        pipe = client.pipeline(transaction=True)
        for event in events:
            pipe.xadd(key, encode(event), maxlen=maxlen, approximate=True)
        return pipe.execute()

    ids = l2.execute(append)
    return [i.decode() if isinstance(i, bytes) else i for i in ids]


@dataclasses.dataclass(frozen=True)
class KnowledgeEvent:
    stream_id: str
    event: str
    knowledge_id: int
    type: str
    topic: str
    tags: tuple
    version: int
    outbox_id: int
    company_id: int
    at: str

    @classmethod
    def decode(cls, stream_id, fields):
        def text(name):
            value = fields.get(name.encode(), fields.get(name, b""))
            return value.decode() if isinstance(value, bytes) else value

        return cls(
            stream_id=stream_id.decode() if isinstance(stream_id, bytes) else stream_id,
            event=text("event"),
            knowledge_id=int(text("knowledge_id") or 0),
            type=text("type"),
            topic=text("topic"),
            tags=tuple(json.loads(text("tags") or "[]")),
            version=int(text("version") or 0),
            outbox_id=int(text("outbox_id") or 0),
            company_id=int(text("company_id") or 0),
            at=text("at"),
        )


class EventConsumer:
    """One consumer of a consumer group on a company's knowledge stream.

    ``start`` is where a *new* group begins: ``"0"`` replays everything the
    stream still holds, ``"$"`` only what arrives from now on. An existing
    group continues from its own position whatever ``start`` says.
    """

    def __init__(self, client, scope, group, consumer, types=None, topics=None, start="0"):
        self.client = client
        self.key = stream_key(scope)
        self.group = group
        self.consumer = consumer
        self.types = frozenset(types or ())
        self.topics = tuple(topics or ())
        # Position in our own pending list while replaying it; None once done.
        self._pending_cursor = "0"
        self._create_group(start)

    def _create_group(self, start):
        with unavailable_on_failure():
            try:
                self.client.xgroup_create(self.key, self.group, id=start, mkstream=True)
            except redis.exceptions.ResponseError as err:
                if "BUSYGROUP" not in str(err):
                    raise

    def wanted(self, event):
        if self.types and event.type not in self.types:
            return False
        if self.topics and not any(fnmatch.fnmatchcase(event.topic, p) for p in self.topics):
            return False
        return True

    def fetch(self, count=100, block_ms=None):
        """The next matching events, oldest first; ``block_ms`` waits for new ones.

        Entries this consumer received earlier but never acknowledged come
        first (after a crash); then new entries. Call :meth:`ack` once an event
        is handled. An empty list means nothing is waiting.
        """
        with unavailable_on_failure():
            while self._pending_cursor is not None:
                entries = self._read_group(self._pending_cursor, count, None)
                if not entries:
                    self._pending_cursor = None
                    break
                self._pending_cursor = entries[-1][0]
                events = self._filter(entries)
                if events:
                    return events
            return self._filter(self._read_group(">", count, block_ms))

    def _read_group(self, last_id, count, block_ms):
        reply = self.client.xreadgroup(
            self.group, self.consumer, {self.key: last_id}, count=count, block=block_ms
        )
        return reply[0][1] if reply else []

    def _filter(self, entries):
        # A pending entry trimmed off the stream comes back without fields.
        trimmed = [stream_id for stream_id, fields in entries if not fields]
        events = [
            KnowledgeEvent.decode(stream_id, fields) for stream_id, fields in entries if fields
        ]
        wanted = [event for event in events if self.wanted(event)]
        kept = {event.stream_id for event in wanted}
        unwanted = trimmed + [event.stream_id for event in events if event.stream_id not in kept]
        if unwanted:
            self.client.xack(self.key, self.group, *unwanted)
        return wanted

    def ack(self, *events):
        ids = [event.stream_id for event in events]
        if ids:
            with unavailable_on_failure():
                self.client.xack(self.key, self.group, *ids)

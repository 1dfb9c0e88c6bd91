"""Two-level cache: a bounded in-process L1 in front of a shared Redis L2.

Guarantees:
- every Redis write carries a TTL; values are JSON, gzip-compressed above a size
  threshold (never pickle, so a poisoned Redis cannot execute code);
- keys are namespaced per database and company (see ``CacheScope.key``);
- Redis being down, slow or returning garbage never raises to the caller: the
  cache degrades to L1 only, retries Redis after an interval, and logs one
  warning per interval.
"""

import collections
import contextlib
import gzip
import json
import logging
import re
import threading
import time

import orjson
import redis

from .errors import RedisUnavailable
from .spec import CacheScope

_logger = logging.getLogger(__name__)

# What a dead, hung or misbehaving Redis raises; anything else is a bug.
REDIS_FAILURES = (redis.exceptions.RedisError, OSError)


@contextlib.contextmanager
def unavailable_on_failure():
    """Redis failures inside the block surface as :class:`~.errors.RedisUnavailable`."""
    try:
        yield
    except REDIS_FAILURES as err:
        raise _unavailable(err) from err


def _unavailable(err):
    return RedisUnavailable("Redis is unavailable: %s" % type(err).__name__)


GZIP_MAGIC = b"\x1f\x8b"
# Leads the JSON that orjson would not read back exactly: JSON allows leading
# whitespace, so every JSON reader (older workers included) still decodes it.
STDLIB_MARK = b" "


class JsonCodec:
    """JSON bytes, gzip above ``gzip_threshold``; JSON never starts with 0x1f.

    Decoded with orjson, twice as fast as ``json.loads`` on a catalog: every
    catalog served from L2 is decoded. Written with ``json.dumps`` as before,
    and marked with ``STDLIB_MARK`` when orjson would read it back otherwise
    than ``json.loads`` (integers beyond 64 bits become floats there), so the
    values read are always those ``json.loads`` gives.
    """

    def __init__(self, gzip_threshold):
        self.gzip_threshold = gzip_threshold

    def encode(self, value):
        raw = _dumps(value)
        if not _orjson_reads_back(raw):
            raw = STDLIB_MARK + raw
        if len(raw) > self.gzip_threshold:
            # Level 5: most of level 9's ratio on JSON at a fraction of the CPU.
            return gzip.compress(raw, compresslevel=5)
        return raw

    @staticmethod
    def decode(data):
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
        if data[:1] == STDLIB_MARK:
            return json.loads(data)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            # NaN or Infinity (json.dumps writes them, orjson refuses them) in an
            # entry of a version without the mark; json.loads raises for garbage.
            return json.loads(data)


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _orjson_reads_back(raw):
    """True if orjson reads ``raw`` (from :func:`_dumps`) as ``json.loads`` does:
    the same text again, hence the same values and types (``==`` would take
    the float 2.0**64 for the integer 2**64)."""
    try:
        return _dumps(orjson.loads(raw)) == raw
    except orjson.JSONDecodeError:
        return False


class L1Cache:
    """Thread-safe LRU with a TTL per entry and a bounded number of entries."""

    def __init__(self, max_entries):
        self.max_entries = max_entries
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key, value, ttl):
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key):
        with self._lock:
            self._entries.pop(key, None)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


class RedisL2:
    """Redis as a cache that may disappear at any moment."""

    def __init__(self, url, codec, socket_timeout, retry_interval, client=None):
        self.url = url
        self.codec = codec
        self.retry_interval = retry_interval
        self._client = client or redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry_on_timeout=False,
        )
        self._down_until = 0.0
        self._last_warning = 0.0
        self.failures = 0

    @property
    def client(self):
        return self._client

    @property
    def available(self):
        """False while Redis is considered down (between retries)."""
        return time.monotonic() >= self._down_until

    def get(self, key):
        try:
            data = self.execute(lambda client: client.get(key))
        except RedisUnavailable:
            return None
        if data is None:
            return None
        try:
            return self.codec.decode(data)
        except (ValueError, OSError, EOFError) as err:
            # Garbage under our key (corruption, a foreign writer): drop it.
            _logger.warning("mcp_crew: dropping undecodable cache entry %s: %s", key, err)
            self.delete(key)
            return None

    def set(self, key, value, ttl):
        data = self.codec.encode(value)
        return self._attempt(lambda client: client.set(key, data, ex=max(1, int(ttl))))

    def delete(self, *keys):
        return bool(keys) and self._attempt(lambda client: client.delete(*keys))

    def _attempt(self, operation):
        """``execute`` for writes whose failure the cache shrugs off: True if done."""
        try:
            self.execute(operation)
        except RedisUnavailable:
            return False
        return True

    def execute(self, operation):
        """Run ``operation(client)``: the one way this class talks to Redis.

        Raises :class:`~.errors.RedisUnavailable` at once during the back-off,
        so a dead Redis costs its callers one timeout per retry interval.
        """
        if time.monotonic() < self._down_until:
            raise RedisUnavailable(
                "Redis is unavailable; next attempt within %.0f s" % self.retry_interval
            )
        try:
            return operation(self._client)
        except REDIS_FAILURES as err:
            # As unavailable_on_failure(), without a generator on every lookup.
            self._mark_down(err)
            raise _unavailable(err) from err

    def ping(self):
        """Check Redis now, ignoring the retry interval; used by health checks."""
        try:
            self._client.ping()
        except REDIS_FAILURES as err:
            self._mark_down(err)
            return False
        self._down_until = 0.0
        return True

    def _mark_down(self, err):
        now = time.monotonic()
        self.failures += 1
        self._down_until = now + self.retry_interval
        if now - self._last_warning >= self.retry_interval:
            self._last_warning = now
            _logger.warning(
                "mcp_crew: Redis unavailable (%s: %s); catalogs are served from the "
                "in-process cache and live discovery, knowledge events wait in the "
                "database; next attempt in %g s",
                type(err).__name__,
                err,
                self.retry_interval,
            )


class TieredCache:
    """L1 then L2; counts hits and misses per level for the metrics."""

    def __init__(self, l1, l2, l1_ttl):
        self.l1 = l1
        self.l2 = l2
        self.l1_ttl = l1_ttl
        self.stats = collections.Counter()

    def get(self, key, max_l1_ttl=None):
        """Return ``(value, level)`` with level ``"l1"`` or ``"l2"``, or ``(None, None)``."""
        value = self.l1.get(key)
        if value is not None:
            self.stats["l1_hit"] += 1
            return value, "l1"
        self.stats["l1_miss"] += 1
        value = self.l2.get(key)
        if value is None:
            self.stats["l2_miss"] += 1
            return None, None
        self.stats["l2_hit"] += 1
        self.l1.set(key, value, self._l1_ttl(max_l1_ttl))
        return value, "l2"

    def set(self, key, value, ttl, max_l1_ttl=None):
        self.l1.set(key, value, self._l1_ttl(max_l1_ttl))
        self.l2.set(key, value, ttl)

    def delete(self, *keys):
        for key in keys:
            self.l1.delete(key)
        self.l2.delete(*keys)

    def _l1_ttl(self, max_l1_ttl):
        if max_l1_ttl is None:
            return self.l1_ttl
        return max(0.0, min(self.l1_ttl, max_l1_ttl))


# Redis glob metacharacters, escaped in a database name used in a pattern.
_GLOB = re.compile(r"([\\*?\[\]])")


def count_company_keys(client, db):
    """``{company_id: number of keys}`` of database ``db``, in one SCAN."""
    # "mcp_crew:{<db>:" -- what every key of the database starts with.
    prefix = CacheScope(db, "\0").key("", "").partition("\0")[0]
    pattern = _GLOB.sub(r"\\\1", prefix) + "*}:*"
    keys = collections.Counter()
    for key in client.scan_iter(match=pattern, count=1000):
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace")
        company, closing, _rest = key[len(prefix) :].partition("}")
        if closing and company.isdigit():
            keys[int(company)] += 1
    return keys

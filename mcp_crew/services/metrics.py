"""Metrics all workers share, rendered in the Prometheus text format.

Odoo runs several worker processes (and hosts); a scrape reaches one of
them. So observations are summed in-process and flushed to one Redis hash per
company, ``mcp_crew:{<db>:<company_id>}:metrics`` — the hash tag keeps a
company's metrics on one shard — every few seconds and before each scrape.
The hash fields are the sample names themselves
(``mcp_crew_tool_calls_total{company="1",server="3",...}``); a scrape sums
them and ``prometheus_client`` renders the result.

Cardinality is bounded: each metric keeps at most ``max_series`` label sets
per worker; beyond that the free-form labels (tool names) become ``_other``.
With Redis down, observations wait in memory (bounded the same way) and a
scrape shows this worker's share with ``mcp_crew_metrics_redis_up 0``.
"""

import collections
import dataclasses
import functools
import logging
import re
import threading

from prometheus_client.core import Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from .errors import RedisUnavailable
from .spec import CacheScope

_logger = logging.getLogger(__name__)

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Metrics live long enough for any scrape interval, and go when a database does.
METRICS_TTL = 90 * 24 * 3600
OTHER = "_other"


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str  # counter, histogram or gauge
    help: str
    labels: tuple
    # Labels whose values are open-ended and collapse to "_other" past the bound.
    free_labels: tuple = ()
    buckets: tuple = DEFAULT_BUCKETS


SPECS = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "mcp_crew_tool_calls_total",
            "counter",
            "MCP tool calls by outcome (ok, tool_error, failed).",
            ("company", "server", "tool", "outcome"),
            ("tool",),
        ),
        MetricSpec(
            "mcp_crew_tool_call_seconds",
            "histogram",
            "MCP tool call latency.",
            ("company", "server", "tool"),
            ("tool",),
        ),
        MetricSpec(
            "mcp_crew_discovery_seconds",
            "histogram",
            "Catalog discovery duration by outcome.",
            ("company", "server", "outcome"),
        ),
        MetricSpec(
            "mcp_crew_cache_requests_total",
            "counter",
            "Catalog cache lookups by level (l1, l2) and result (hit, miss).",
            ("company", "level", "result"),
        ),
        MetricSpec(
            "mcp_crew_knowledge_operations_total",
            "counter",
            "Knowledge operations: stores by action (created, versioned, refreshed, "
            "duplicate) and searches.",
            ("company", "operation"),
        ),
        MetricSpec(
            "mcp_crew_runs_total",
            "counter",
            "Runs finished, by route and status.",
            ("company", "route", "status"),
        ),
    )
}


# Label sets whose series counter() remembers (beyond, it starts over).
FIELD_MEMO_SIZE = 4096


# Hot: every catalog lookup and tool call counts; the label sets are bounded.
@functools.lru_cache(maxsize=4096)
def sample_name(name, labels):
    """``name{a="x",b="y"}`` with Prometheus escaping, labels in the given order."""
    if not labels:
        return name
    parts = ",".join('%s="%s"' % (key, _escape(str(value))) for key, value in labels)
    return "%s{%s}" % (name, parts)


def _escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsRecorder:
    """Counts and histograms of one process, flushed to Redis."""

    def __init__(self, l2, max_series=500, flush_interval=5.0):
        self.l2 = l2
        self.max_series = max_series
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._pending = collections.defaultdict(float)  # (scope, field) -> delta
        self._series = collections.defaultdict(set)  # metric -> label sets seen
        self._counters = {}  # (name, scope, *labels) -> (scope, field), a key of _pending

    # -- recording --------------------------------------------------------------

    def inc(self, name, scope, value=1.0, **labels):
        """Add ``value`` to counter ``name`` of ``scope``'s company (a CacheScope)."""
        self.add((self.counter(name, scope, **labels),), value)

    def counter(self, name, scope, **labels):
        """The series of counter ``name`` with ``labels`` in ``scope``, for :meth:`add`.

        A hot caller may keep it: a series, once seen, keeps its name
        (``_series`` only grows).
        """
        # The series of a label set is worked out once (the engine's catalog lookups
        # keep their own series: see Engine._count_lookup).
        key = (name, scope, *labels.items())
        counter = self._counters.get(key)
        if counter is None:
            if len(self._counters) >= FIELD_MEMO_SIZE:
                self._counters.clear()
            field = sample_name(name, self._bounded(SPECS[name], scope, labels))
            counter = self._counters[key] = (scope, field)
        return counter

    def add(self, counters, value=1.0):
        """Add ``value`` to each of ``counters`` (from :meth:`counter`), under one lock."""
        # Never flushes: Redis stays off the request path (the engine's loop
        # flushes every flush_interval, a scrape flushes first).
        with self._lock:
            for counter in counters:
                self._pending[counter] += value

    def observe(self, name, scope, seconds, **labels):
        spec = SPECS[name]
        labels = self._bounded(spec, scope, labels)
        # Zero too: every series must carry every bucket for histogram_quantile().
        fields = [
            (sample_name(name + "_bucket", labels + (("le", bound),)), int(seconds <= bound))
            for bound in spec.buckets
        ]
        fields += [
            (sample_name(name + "_bucket", labels + (("le", "+Inf"),)), 1),
            (sample_name(name + "_sum", labels), seconds),
            (sample_name(name + "_count", labels), 1),
        ]
        with self._lock:
            for field, value in fields:
                self._pending[(scope, field)] += value

    def _bounded(self, spec, scope, labels):
        values = dict(labels, company=scope.company_id)
        ordered = tuple((key, values[key]) for key in spec.labels)
        with self._lock:
            seen = self._series[(scope.db, spec.name)]
            if ordered not in seen and len(seen) >= self.max_series:
                ordered = tuple(
                    (key, OTHER if key in spec.free_labels else value) for key, value in ordered
                )
            seen.add(ordered)
        return ordered

    # -- sharing ------------------------------------------------------------------

    def flush(self):
        """Move pending observations to Redis; on failure they stay for the next try."""
        with self._lock:
            pending, self._pending = self._pending, collections.defaultdict(float)
        if not pending:
            return True
        by_scope = collections.defaultdict(dict)
        for (scope, field), value in pending.items():
            by_scope[scope][field] = value

        def write(client):
            pipe = client.pipeline(transaction=False)
            for scope, fields in by_scope.items():
                key = scope.key("metrics", "all")
                for field, value in fields.items():
                    pipe.hincrbyfloat(key, field, value)
                pipe.expire(key, METRICS_TTL)
            pipe.execute()

        try:
            self.l2.execute(write)
        except RedisUnavailable:
            with self._lock:  # keep them: counts must not be lost, only delayed
                for item, value in pending.items():
                    self._pending[item] += value
            return False
        return True

    def snapshot(self, db):
        """``({sample: value}, redis_up)`` of database ``db``: every worker's
        flushed figures plus this worker's unflushed ones."""
        redis_up = self.flush()
        totals = collections.defaultdict(float)
        if redis_up:
            try:
                totals.update(self.l2.execute(lambda client: _read_all(client, db)))
            except RedisUnavailable:
                redis_up = False
        with self._lock:
            for (scope, field), value in self._pending.items():
                if scope.db == db:
                    totals[field] += value
        return dict(totals), redis_up


def _read_all(client, db):
    pattern = CacheScope(db, "*").key("metrics", "all")
    totals = collections.defaultdict(float)
    for key in client.scan_iter(match=pattern, count=500):
        for field, value in client.hgetall(key).items():
            totals[field.decode()] += float(value)
    return totals


def render(samples, gauges=(), redis_up=True):
    """Prometheus text: ``samples`` from :meth:`MetricsRecorder.snapshot`, plus
    ``gauges`` as ``(name, help, [(labels, value)])`` computed at scrape time.

    Rendered by ``prometheus_client`` from a registry of one collector: the
    figures themselves are the ones summed across workers in Redis."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(samples, gauges, redis_up))
    # The classic text format (0.0.4), which every Prometheus reads.
    return generate_latest(registry).decode()


class _SnapshotCollector:
    """A metrics snapshot as ``prometheus_client`` metric families."""

    def __init__(self, samples, gauges, redis_up):
        self.samples, self.gauges, self.redis_up = samples, gauges, redis_up

    def collect(self):
        by_metric = collections.defaultdict(list)
        for sample, value in self.samples.items():
            name, labels = parse_sample(sample)
            if name:
                by_metric[_metric_of(name)].append((name, labels, value))
        for name in sorted(SPECS):
            if name in by_metric:
                yield self._family(SPECS[name], by_metric[name])
        gauges = list(self.gauges) + [
            (
                "mcp_crew_metrics_redis_up",
                "1 if the shared metrics store answered.",
                [((), 1 if self.redis_up else 0)],
            ),
        ]
        for name, help_text, values in gauges:
            family = Metric(name, help_text, "gauge")
            for labels, value in values:
                family.add_sample(name, {key: str(v) for key, v in labels}, float(value))
            yield family

    @staticmethod
    def _family(spec, series):
        # The library names a counter family without its _total suffix.
        family_name = spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name
        family = Metric(family_name, spec.help, spec.kind)
        for name, labels, value in sorted(series, key=_series_order):
            family.add_sample(name, labels, float(value))
        return family


def _metric_of(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in SPECS:
            return name[: -len(suffix)]
    return name


def _series_order(series):
    """Series together, histogram buckets in ascending ``le`` order."""
    name, labels, _value = series
    le = float(labels["le"].replace("+Inf", "inf")) if "le" in labels else float("inf")
    kept = sorted((key, value) for key, value in labels.items() if key != "le")
    return (kept, name, le)


CACHE_METRIC = "mcp_crew_cache_requests_total"  # read back by the cache dashboard
_SAMPLE = re.compile(r"^\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(.*)\})?\s*$", re.S)
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_sample(sample):
    """``('name', {label: value})`` of a Prometheus sample name such as
    ``mcp_crew_cache_requests_total{company="1",level="l1",result="hit"}``;
    ``(None, {})`` when it is not one."""
    match = _SAMPLE.match(sample or "")
    if not match:
        return None, {}
    name, body = match.group(1), match.group(2) or ""
    labels, position = {}, 0
    while position < len(body):
        label = _LABEL.match(body, position)
        if not label or label.end() == position:
            return None, {}
        value = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m.group(0)], label.group(2))
        labels[label.group(1)] = value
        position = label.end()
    return name, labels


def cache_counts(samples):
    """``{company_id: {(level, result): count}}`` from a metrics snapshot."""
    counts = collections.defaultdict(lambda: collections.defaultdict(float))
    for sample, value in samples.items():
        name, labels = parse_sample(sample)
        if name != CACHE_METRIC:
            continue
        try:
            company_id = int(labels.get("company", ""))
            value = float(value)
        except (TypeError, ValueError):
            continue
        counts[company_id][(labels.get("level"), labels.get("result"))] += value
    return counts

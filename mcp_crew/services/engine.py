"""The engine façade: catalogs served from cache, live discovery, tool calls.

Synchronous API for adapters (Odoo workers are threads or processes, not
coroutines); the MCP work runs on the process's :class:`~.loop.EngineLoop`.

Guarantees:
- ``get_catalog`` is served from L1/L2 without contacting the server while the
  entry is fresh; when the server fails, the last good catalog is returned
  marked ``stale`` (or the error raised if there is none);
- every outbound operation is bounded by the server's timeout and guarded by a
  circuit breaker;
- ``call_tool`` validates arguments against the tool's input schema before
  anything is sent, and reuses the pooled session;
- a ``list_changed`` notification re-discovers the server and refreshes the
  cache, then tells the adapter through ``on_catalog_changed``.
"""

import asyncio
import concurrent.futures
import logging
import time
from urllib.parse import urlsplit

from . import discovery, redaction
from .cache import JsonCodec, L1Cache, RedisL2, TieredCache
from .circuit import BreakerRegistry
from .errors import ServerUnavailable, ToolNotFound
from .loop import EngineLoop
from .mcp_client import SessionPool, probe, send_tool_call
from .metrics import CACHE_METRIC, FIELD_MEMO_SIZE, MetricsRecorder
from .validation import structured_result_problem, validate_arguments

_logger = logging.getLogger(__name__)

# Extra wait on top of a server's timeout before the calling thread gives up on
# the loop itself (the coroutine's own timeout normally fires first).
LOOP_GRACE = 2.0
IDLE_SWEEP_INTERVAL = 60.0
# What a catalog lookup served from each level (None: neither) counts, as the
# (level, result) labels of mcp_crew_cache_requests_total.
LOOKUP_RESULTS = {
    "l1": (("l1", "hit"),),
    "l2": (("l1", "miss"), ("l2", "hit")),
    None: (("l1", "miss"), ("l2", "miss")),
}


class McpEngine:
    def __init__(self, settings, redis_client=None, on_catalog_changed=None):
        self.settings = settings
        codec = JsonCodec(settings.gzip_threshold)
        self.l2 = RedisL2(
            settings.redis_url,
            codec,
            settings.redis_socket_timeout,
            settings.redis_retry_interval,
            client=redis_client,
        )
        self.cache = TieredCache(L1Cache(settings.l1_max_entries), self.l2, settings.l1_ttl)
        self.metrics = MetricsRecorder(self.l2)
        self._lookup_counters = {}  # (scope, level) -> metrics counters (_count_lookup)
        redaction.protect(settings.metrics_token)
        redaction.protect(urlsplit(settings.redis_url or "").password)
        self.breakers = BreakerRegistry(
            settings.circuit_failure_threshold, settings.circuit_reset_timeout
        )
        self.on_catalog_changed = on_catalog_changed
        self.loop = EngineLoop()
        # Read at each connection: the settings may be replaced (tests do).
        self.pool = SessionPool(
            settings.session_idle_timeout,
            self._on_list_changed,
            network_policy=lambda: self.settings.network_policy,
        )
        self._refreshing = set()
        self._sweeper = self.loop.submit(self._sweep_idle_sessions())
        self._metrics_flusher = self.loop.submit(self._flush_metrics_periodically())

    # -- catalogs -------------------------------------------------------------

    def get_catalog(self, spec, force=False):
        """Return a catalog view: ``{"catalog", "source", "fetched_at", "fresh_until", "error"}``.

        ``source`` is ``l1``, ``l2``, ``live`` or ``stale``.
        """
        cached, level = self.cache.get(spec.catalog_key())
        self._count_lookup(spec, level)
        if cached is not None and cached.get("fingerprint") != spec.fingerprint:
            cached, level = None, None
        if not force and cached is not None and cached["fresh_until"] > time.time():
            return _view(cached, level)
        try:
            return _view(self.refresh(spec), "live")
        except ServerUnavailable as err:
            if cached is None:
                raise
            _logger.info("mcp_crew: serving stale catalog of %s: %s", spec.label, err)
            return _view(cached, "stale", error=str(err))

    def refresh(self, spec):
        """Discover now (breaker permitting) and cache the result."""
        breaker = self.breakers.get(spec)
        breaker.before_call()
        started = time.perf_counter()
        try:
            entry = self._run(spec, self._discover_and_cache(spec))
        except ServerUnavailable:
            breaker.record_failure()
            self._observe_discovery(spec, started, "failed")
            raise
        breaker.record_success()
        self._observe_discovery(spec, started, "ok")
        return entry

    def refresh_many(self, specs):
        """Discover several servers in parallel.

        Returns ``{server_id: (entry, error)}`` where exactly one is ``None``.
        Wall time is about the slowest server's timeout, not the sum.
        """
        results = {}
        allowed = []
        for spec in specs:
            try:
                self.breakers.get(spec).before_call()
            except ServerUnavailable as err:
                results[spec.server_id] = (None, err)
            else:
                allowed.append(spec)
        if allowed:
            timeout = max(spec.budget(2) for spec in allowed) + LOOP_GRACE
            started = time.perf_counter()
            outcomes = self.loop.run(self._discover_many(allowed), timeout)
            for spec, outcome in zip(allowed, outcomes, strict=True):
                breaker = self.breakers.get(spec)
                # Parallel: each server's figure is the batch's wall time, an upper bound.
                if isinstance(outcome, ServerUnavailable):
                    breaker.record_failure()
                    self._observe_discovery(spec, started, "failed")
                    results[spec.server_id] = (None, outcome)
                else:
                    breaker.record_success()
                    self._observe_discovery(spec, started, "ok")
                    results[spec.server_id] = (outcome, None)
        return results

    def forget(self, scope, server_id):
        """Forget the cached catalog, breaker and pooled session of a server
        (by address: its spec may no longer be valid)."""
        self.cache.delete(scope.key("catalog", server_id))
        self.breakers.reset(scope, server_id)
        self.loop.submit(self.pool.discard_key((scope, server_id)))

    def cached_entry(self, spec):
        """The cached entry without freshness checks (``None`` if absent)."""
        cached, _level = self.cache.get(spec.catalog_key())
        if cached is not None and cached.get("fingerprint") == spec.fingerprint:
            return cached
        return None

    # -- tools ----------------------------------------------------------------

    def find_tool(self, spec, name):
        catalog = self.get_catalog(spec)["catalog"]
        for tool in catalog["tools"]:
            if tool["name"] == name:
                return tool
        raise ToolNotFound("MCP server %s has no tool named %r" % (spec.label, name))

    def call_tool(self, spec, name, arguments, tool=None):
        """Validate, then call a tool on the pooled session.

        Returns ``{"content", "structured_content", "is_error", "text", "latency_ms"}``.
        ``is_error`` is the tool's own failure report; transport failures raise.
        """
        tool = tool or self.find_tool(spec, name)
        validate_arguments(name, tool.get("input_schema"), arguments)
        breaker = self.breakers.get(spec)
        breaker.before_call()
        started = time.perf_counter()
        try:
            result = self._run(
                spec,
                self.pool.request(
                    spec, "tools/call %s" % name, lambda s: send_tool_call(s, name, arguments)
                ),
            )
        except ServerUnavailable:
            breaker.record_failure()
            self._observe_call(spec, name, started, "failed")
            raise
        breaker.record_success()
        # A result that breaks the tool's own output schema is the tool's error,
        # not the server's unavailability: the breaker counts the call a success.
        problem = None
        if not result.isError:
            problem = structured_result_problem(tool.get("output_schema"), result.structuredContent)
        self._observe_call(spec, name, started, "tool_error" if result.isError or problem else "ok")
        return _result_to_dict(result, time.perf_counter() - started, name, problem)

    def test_connection(self, spec):
        """Fresh connection, initialize and ping: ``{name, version, ..., ping_ms}``."""
        return self._run(spec, probe(spec, self.settings.network_policy), factor=2)

    def close(self):
        self._sweeper.cancel()
        self._metrics_flusher.cancel()
        self.metrics.flush()
        try:
            self.loop.run(self.pool.close_all(), 10)
        finally:
            self.loop.stop()

    # -- metrics --------------------------------------------------------------

    def _count_lookup(self, spec, level):
        # Every catalog lookup counts: its series are looked up once per company
        # and outcome, and added to under one lock. Kept here, over the recorder's
        # own memo of series by labels: building that key costs 1.7 µs of a warm
        # get_tools() served in 14 (bench_methods, measured both ways).
        counters = self._lookup_counters.get((spec.scope, level))
        if counters is None:
            if len(self._lookup_counters) >= FIELD_MEMO_SIZE:
                self._lookup_counters.clear()
            counters = self._lookup_counters[(spec.scope, level)] = tuple(
                self.metrics.counter(CACHE_METRIC, spec.scope, level=name, result=result)
                for name, result in LOOKUP_RESULTS[level]
            )
        self.metrics.add(counters)

    def _observe_discovery(self, spec, started, outcome):
        self.metrics.observe(
            "mcp_crew_discovery_seconds",
            spec.scope,
            time.perf_counter() - started,
            server=spec.server_id,
            outcome=outcome,
        )

    def _observe_call(self, spec, name, started, outcome):
        elapsed = time.perf_counter() - started
        self.metrics.inc(
            "mcp_crew_tool_calls_total",
            spec.scope,
            server=spec.server_id,
            tool=name,
            outcome=outcome,
        )
        self.metrics.observe(
            "mcp_crew_tool_call_seconds", spec.scope, elapsed, server=spec.server_id, tool=name
        )

    # -- internals ------------------------------------------------------------

    def _run(self, spec, coro, factor=1):
        try:
            return self.loop.run(coro, spec.budget(factor) + LOOP_GRACE)
        except concurrent.futures.TimeoutError as err:
            raise ServerUnavailable(spec.label, "engine timeout") from err

    async def _discover_and_cache(self, spec):
        try:
            managed = await self.pool.acquire(spec)
            catalog = await discovery.discover(managed)
        except ServerUnavailable:
            await self.pool.discard(spec)
            raise
        now = time.time()
        entry = {
            "fingerprint": spec.fingerprint,
            "fetched_at": now,
            "fresh_until": now + spec.cache_ttl,
            "catalog": catalog,
        }
        # The key outlives freshness so the last good catalog can be served stale.
        self.cache.set(
            spec.catalog_key(),
            entry,
            spec.cache_ttl + self.settings.stale_retention,
            max_l1_ttl=spec.cache_ttl,
        )
        return entry

    async def _discover_many(self, specs):
        async def one(spec):
            try:
                return await asyncio.wait_for(self._discover_and_cache(spec), spec.budget(2))
            except asyncio.TimeoutError:
                await self.pool.discard(spec)
                return ServerUnavailable(spec.label, "discovery took over %.1f s" % spec.budget(2))
            except ServerUnavailable as err:
                return err

        return await asyncio.gather(*(one(spec) for spec in specs))

    def _on_list_changed(self, spec, notification):
        key = (spec.scope, spec.server_id)
        if key in self._refreshing:
            return
        self._refreshing.add(key)
        _logger.info("mcp_crew: %s announced %s; re-discovering", spec.label, notification.method)
        asyncio.get_running_loop().create_task(self._refresh_after_change(spec, key))

    async def _refresh_after_change(self, spec, key):
        try:
            entry = await asyncio.wait_for(self._discover_and_cache(spec), spec.budget(2))
        except (ServerUnavailable, asyncio.TimeoutError) as err:
            _logger.warning("mcp_crew: re-discovery of %s failed: %s", spec.label, err)
            return
        finally:
            self._refreshing.discard(key)
        if self.on_catalog_changed is None:
            return
        try:
            # The adapter may touch a database: keep it off the event loop.
            await asyncio.get_running_loop().run_in_executor(
                None, self.on_catalog_changed, spec, entry
            )
        except Exception:  # noqa: BLE001 - a hook failure must not kill the loop task
            _logger.exception("mcp_crew: catalog-changed hook failed for %s", spec.label)

    async def _flush_metrics_periodically(self):
        """An idle worker's last observations still reach Redis within the interval."""
        while True:
            await asyncio.sleep(self.metrics.flush_interval)
            await asyncio.get_running_loop().run_in_executor(None, self.metrics.flush)

    async def _sweep_idle_sessions(self):
        while True:
            await asyncio.sleep(IDLE_SWEEP_INTERVAL)
            closed = await self.pool.close_idle()
            if closed:
                _logger.debug("mcp_crew: closed %d idle MCP sessions", closed)


def _view(entry, source, error=None):
    return {
        "catalog": entry["catalog"],
        "source": source,
        "fetched_at": entry["fetched_at"],
        "fresh_until": entry["fresh_until"],
        "error": error,
    }


def _result_to_dict(result, elapsed, name, problem=None):
    """The engine's result dict; ``problem``: why the result breaks the tool's
    output schema, which makes it an error result that says so."""
    content = [block.model_dump(mode="json", exclude_none=True) for block in result.content]
    text = "\n".join(block["text"] for block in content if block.get("type") == "text")
    if problem:
        text = "Tool %s answered, but %s." % (name, problem)
    return {
        "content": content,
        "structured_content": result.structuredContent,
        "is_error": bool(result.isError or problem),
        "text": text,
        "latency_ms": round(elapsed * 1000, 2),
    }

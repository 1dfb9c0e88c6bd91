"""Long-lived MCP client sessions, one per server, reused across calls.

A :class:`ManagedSession` owns its transport and ``ClientSession`` inside one
task (anyio requires contexts to be left by the task that entered them); other
tasks send requests through it. The :class:`SessionPool` reconnects when a
server's configuration changes or after a failure, closes idle sessions, and
forwards ``list_changed`` notifications.

Every request is bounded by the server's timeout; every failure surfaces as a
:class:`~.errors.ServerUnavailable` whose message holds no credentials.
"""

import asyncio
import contextlib
import logging
import time

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.sse import sse_client
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from . import redaction
from .errors import DestinationRefused, ServerTimeout, ServerUnavailable
from .network_policy import NetworkPolicy, guarded_client_factory

_logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO; MCP URLs may carry tokens in their query.
logging.getLogger("httpx").setLevel(logging.WARNING)

CLIENT_INFO = types.Implementation(name="mcp_crew", version="16.0.1.0.0")
LIST_CHANGED = (
    types.ToolListChangedNotification,
    types.ResourceListChangedNotification,
    types.PromptListChangedNotification,
)
# Long enough for a server to stream a slow answer, short enough that a dead
# peer is noticed; requests are bounded separately by the server's timeout.
SSE_READ_TIMEOUT = 300.0


def describe_failure(err):
    """A short, credential-free reason for an exception from a transport.

    Transport failures say only "connection failed" / "timeout": the exception
    class (``RemoteProtocolError`` for PostgreSQL, ``ReadError`` for Redis…)
    would tell a prober what listens on a port. Registered secrets a peer
    echoes are masked (see :mod:`.redaction`).
    """
    leaves = _leaf_exceptions(err)
    refused = [leaf for leaf in leaves if isinstance(leaf, DestinationRefused)]
    err = refused[0] if refused else leaves[0] if leaves else err
    if isinstance(err, DestinationRefused):
        return str(err)
    if isinstance(err, httpx.HTTPStatusError):
        return "HTTP %s %s" % (err.response.status_code, err.response.reason_phrase)
    if isinstance(err, httpx.TimeoutException):
        return "HTTP timeout"
    if isinstance(err, httpx.HTTPError):
        # httpx messages can echo the URL, which may carry a token.
        return "connection failed"
    if isinstance(err, McpError):
        return redaction.REDACTOR.redact(
            "protocol error %s: %s" % (err.error.code, err.error.message[:300])
        )
    if isinstance(err, FileNotFoundError):
        return "command not found: %s" % (err.filename or err)
    if isinstance(err, OSError):
        return "connection failed"
    text = str(err) or type(err).__name__
    return redaction.REDACTOR.redact("%s: %s" % (type(err).__name__, text[:300]))


def _leaf_exceptions(err):
    nested = getattr(err, "exceptions", None)
    if not nested:
        return [err]
    leaves = []
    for sub in nested:
        leaves.extend(_leaf_exceptions(sub))
    return leaves


@contextlib.asynccontextmanager
async def open_transport(spec, network_policy=None):
    """Yield ``(read_stream, write_stream)`` for the spec's transport.

    HTTP transports go through ``network_policy`` (public addresses only when
    ``None``) on every request, redirects included.
    """
    if spec.transport == "stdio":
        env = get_default_environment()
        env.update(dict(spec.env))
        params = StdioServerParameters(command=spec.command, args=list(spec.args), env=env)
        async with stdio_client(params) as (read, write):
            yield read, write
        return
    network_policy = network_policy or NetworkPolicy()
    # Refused before any connection, with a clear reason.
    await network_policy.check(spec.url)
    timeout = httpx.Timeout(spec.timeout, read=SSE_READ_TIMEOUT)
    headers = dict(spec.headers)
    factory = guarded_client_factory(network_policy, spec.url, headers)
    if spec.transport == "sse":
        async with sse_client(
            spec.url,
            headers=headers,
            timeout=spec.timeout,
            sse_read_timeout=SSE_READ_TIMEOUT,
            httpx_client_factory=factory,
        ) as (read, write):
            yield read, write
        return
    async with factory(headers=headers, timeout=timeout) as http:
        async with streamable_http_client(spec.url, http_client=http) as (read, write, _sid):
            yield read, write


async def send_tool_call(session, name, arguments):
    """Send ``tools/call`` and return the ``CallToolResult`` as the server sent it.

    Not ``ClientSession.call_tool``: it checks structured content with
    ``jsonschema.validate``, which checks the output schema itself again on
    every call (a fifth of a fast call's time), and lists the server's tools on
    a session's first call to learn that schema. The engine checks the result
    against the catalog's output schema with a validator compiled once
    (:func:`.validation.structured_result_problem`).
    """
    return await session.send_request(
        types.ClientRequest(
            types.CallToolRequest(
                params=types.CallToolRequestParams(name=name, arguments=arguments)
            )
        ),
        types.CallToolResult,
    )


class ManagedSession:
    """One connected, initialized ``ClientSession`` kept open in its own task."""

    def __init__(self, spec, on_notification=None, network_policy=None):
        self.spec = spec
        self.network_policy = network_policy
        self.connection_key = _connection_key(spec)
        self.session = None
        self.init_result = None
        self.error = None
        self.last_used = time.monotonic()
        self._on_notification = on_notification
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        # Resolved when the session ends for any reason, so in-flight requests
        # fail at once instead of waiting for their timeout.
        self._ended = asyncio.get_running_loop().create_future()
        self._task = None

    @property
    def usable(self):
        return self.session is not None and self.error is None and not self._stop.is_set()

    async def open(self):
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            await asyncio.wait_for(self._ready.wait(), self.spec.start_bound)
        except asyncio.TimeoutError:
            # A hung transport would not close cleanly either: cancel it.
            await self.close(grace=0)
            raise ServerTimeout(
                self.spec.label, self.spec.start_bound, "start-up (initialize)"
            ) from None
        if self.error is not None or self.session is None:
            reason = describe_failure(self.error) if self.error else "closed during start-up"
            raise ServerUnavailable(self.spec.label, reason) from self.error
        return self

    async def _run(self):
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(
                    open_transport(self.spec, self.network_policy)
                )
                session = await stack.enter_async_context(
                    ClientSession(
                        read,
                        write,
                        message_handler=self._handle_message,
                        client_info=CLIENT_INFO,
                    )
                )
                self.init_result = await session.initialize()
                self.session = session
                self._ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - any transport failure ends the session
            self.error = err
            _logger.info(
                "mcp_crew: session with %s ended: %s", self.spec.label, describe_failure(err)
            )
        finally:
            self.session = None
            self._stop.set()
            self._ready.set()
            if not self._ended.done():
                self._ended.set_result(None)

    async def _handle_message(self, message):
        if isinstance(message, Exception):
            # The transport reports a broken stream this way: stop using it.
            self.error = message
            self._stop.set()
            if not self._ended.done():
                self._ended.set_result(None)
            return
        if isinstance(message, types.ServerNotification) and self._on_notification:
            if isinstance(message.root, LIST_CHANGED):
                self._on_notification(self.spec, message.root)

    async def request(self, operation, make_coro):
        """Await ``make_coro(session)`` within the server's timeout.

        Fails as soon as the session ends (server killed, stream broken) rather
        than when the timeout expires.
        """
        if not self.usable:
            raise ServerUnavailable(self.spec.label, "session closed")
        self.last_used = time.monotonic()
        call = asyncio.ensure_future(make_coro(self.session))
        done, _pending = await asyncio.wait(
            (call, self._ended), timeout=self.spec.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if call not in done:
            call.cancel()
            if self._ended in done:
                reason = describe_failure(self.error) if self.error else "session closed"
                raise ServerUnavailable(self.spec.label, reason)
            raise ServerTimeout(self.spec.label, self.spec.timeout, operation)
        try:
            return call.result()
        except McpError as err:
            raise ServerUnavailable(self.spec.label, describe_failure(err)) from err
        except (
            OSError,
            httpx.HTTPError,
            anyio.ClosedResourceError,
            anyio.BrokenResourceError,
        ) as err:
            raise ServerUnavailable(self.spec.label, describe_failure(err)) from err

    async def close(self, grace=5.0):
        """Let the session end cleanly within ``grace`` seconds, else cancel it.

        A cancelled transport may still need a moment (stdio waits for its
        process to exit); that finishes in the background, never in the caller.
        """
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        if grace:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), grace)
        if not task.done():
            task.cancel()
            _FINISHING.add(task)
            task.add_done_callback(_FINISHING.discard)


# Cancelled session tasks still winding down; referenced so they are not collected.
_FINISHING = set()


def _connection_key(spec):
    # Includes secret values, but lives only in this process's memory.
    return (spec.transport, spec.command, spec.args, spec.env, spec.url, spec.headers)


class SessionPool:
    """Sessions keyed by company scope and server id; lives on the engine loop."""

    def __init__(self, idle_timeout, on_notification=None, network_policy=None):
        """``network_policy``: a callable returning the current :class:`NetworkPolicy`."""
        self.idle_timeout = idle_timeout
        self._on_notification = on_notification
        self._network_policy = network_policy or NetworkPolicy
        self._sessions = {}
        self._locks = {}
        self._closing = set()

    async def acquire(self, spec):
        key = (spec.scope, spec.server_id)
        managed = self._sessions.get(key)
        if (
            managed is not None
            and managed.usable
            and managed.connection_key == _connection_key(spec)
        ):
            managed.spec = spec
            return managed
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            managed = self._sessions.get(key)
            if managed is not None:
                if managed.usable and managed.connection_key == _connection_key(spec):
                    managed.spec = spec
                    return managed
                del self._sessions[key]
                await managed.close()
            managed = ManagedSession(spec, self._on_notification, self._network_policy())
            await managed.open()
            self._sessions[key] = managed
            return managed

    async def request(self, spec, operation, make_coro):
        """Run one request on the server's pooled session; drop the session on failure."""
        managed = await self.acquire(spec)
        try:
            return await managed.request(operation, make_coro)
        except ServerUnavailable:
            await self.discard(spec)
            raise

    async def discard(self, spec):
        await self.discard_key((spec.scope, spec.server_id))

    async def discard_key(self, key):
        """Drop a session; it closes in the background so the caller that saw
        the failure is not held up by a slow shutdown."""
        managed = self._sessions.pop(key, None)
        if managed is not None:
            task = asyncio.get_running_loop().create_task(managed.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close_idle(self):
        cutoff = time.monotonic() - self.idle_timeout
        idle = [key for key, m in self._sessions.items() if m.last_used < cutoff]
        for key in idle:
            managed = self._sessions.pop(key, None)
            if managed is not None:
                await managed.close()
        return len(idle)

    async def close_all(self, grace=5.0):
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(managed.close() for managed in sessions), *self._closing)
        # Cancelled transports of this loop still winding down (stdio waits for
        # its process): let them finish before the loop stops, within a bound.
        loop = asyncio.get_running_loop()
        finishing = [task for task in _FINISHING if task.get_loop() is loop]
        if finishing:
            await asyncio.wait(finishing, timeout=grace)

    def __len__(self):
        return len(self._sessions)


async def probe(spec, network_policy=None):
    """Connect afresh (no pool), initialize and ping; for 'test connection'."""
    started = time.perf_counter()
    managed = ManagedSession(spec, network_policy=network_policy)
    await managed.open()
    try:
        connected = time.perf_counter()
        await managed.request("ping", lambda session: session.send_ping())
        pinged = time.perf_counter()
        info = managed.init_result.serverInfo
        return {
            "name": info.name,
            "version": info.version,
            "protocol_version": str(managed.init_result.protocolVersion),
            "connect_ms": round((connected - started) * 1000, 1),
            "ping_ms": round((pinged - connected) * 1000, 1),
        }
    finally:
        await managed.close()

"""A private asyncio loop in a daemon thread, so synchronous Odoo workers can use
the asynchronous MCP SDK and keep sessions open between requests.

One loop per process: after a fork (Odoo's prefork workers) the child gets a
fresh loop instead of inheriting a dead thread.
"""

import asyncio
import concurrent.futures
import os
import threading


class EngineLoop:
    def __init__(self, name="mcp_crew-engine"):
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    @property
    def loop(self):
        return self._loop

    @property
    def alive(self):
        return self.pid == os.getpid() and self._thread.is_alive()

    def in_loop_thread(self):
        return threading.current_thread() is self._thread

    def submit(self, coro):
        """Schedule ``coro`` on the loop; returns a concurrent future."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro, timeout):
        """Run ``coro`` on the loop and wait at most ``timeout`` seconds.

        Coroutines enforce their own, tighter timeouts; this one is the safety
        net that guarantees a caller thread is never stuck.
        """
        if self.in_loop_thread():
            raise RuntimeError("EngineLoop.run() called from the loop thread itself")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self, timeout=5.0):
        if not self.alive:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

"""Circuit breaker per MCP server.

Closed: calls flow. After ``failure_threshold`` consecutive failures it opens and
refuses calls at once for ``reset_timeout`` seconds; then it half-opens and lets
a single trial call through: success closes it, failure opens it again.
"""

import threading
import time

from .errors import CircuitOpen

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, label, failure_threshold, reset_timeout, clock=time.monotonic):
        self.label = label
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    @property
    def state(self):
        with self._lock:
            return self._state()

    def _state(self):
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return HALF_OPEN
        return OPEN

    def before_call(self):
        """Raise :class:`CircuitOpen` unless a call may go through now."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return
            if state == HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            retry_in = max(0.0, self._opened_at + self.reset_timeout - self._clock())
            raise CircuitOpen(self.label, retry_in)

    def record_success(self):
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self):
        with self._lock:
            self._failures += 1
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if was_trial or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()


class BreakerRegistry:
    """One breaker per (scope, server id), created on first use."""

    def __init__(self, failure_threshold, reset_timeout):
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._breakers = {}
        self._lock = threading.Lock()

    def get(self, spec):
        key = (spec.scope, spec.server_id)
        breaker = self._breakers.get(key)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.setdefault(
                    key,
                    CircuitBreaker(spec.label, self.failure_threshold, self.reset_timeout),
                )
        return breaker

    def peek(self, scope, server_id):
        """The server's breaker if it has one, without creating it."""
        return self._breakers.get((scope, server_id))

    def reset(self, scope, server_id):
        with self._lock:
            self._breakers.pop((scope, server_id), None)

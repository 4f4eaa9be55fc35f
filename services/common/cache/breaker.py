"""A circuit breaker for the cache: after a few failures in a row it opens, and calls answer at once
(as misses) instead of each waiting out its deadline; after `open_seconds` one call is let through
(half-open) and its success closes it again."""

import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, *, failures_to_open: int = 3, open_seconds: float = 2.0, clock=time.monotonic):
        self._threshold = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self.state = CLOSED
        # counted for /healthz and /metrics
        self.calls = self.failures = self.rejected = self.opened = 0

    def allow(self) -> bool:
        if self.state == CLOSED:
            self.calls += 1
            return True
        if self.state == OPEN and self._clock() - self._opened_at >= self._open_seconds:
            self.state = HALF_OPEN
            self._probing = False
        if self.state == HALF_OPEN and not self._probing:
            self._probing = True  # one probe at a time
            self.calls += 1
            return True
        self.rejected += 1
        return False

    def succeeded(self) -> bool:
        """True when this success closed a breaker that was not closed (the cache is back)."""
        self._failures = 0
        recovered = self.state != CLOSED
        self.state, self._probing = CLOSED, False
        return recovered

    def failed(self) -> bool:
        """True when this failure opened the breaker."""
        self.failures += 1
        self._failures += 1
        if self.state == HALF_OPEN or (self.state == CLOSED and self._failures >= self._threshold):
            self.state, self._opened_at, self._probing = OPEN, self._clock(), False
            self.opened += 1
            return True
        return False

    def snapshot(self) -> dict:
        return {"state": self.state, "calls": self.calls, "failures": self.failures, "rejected": self.rejected,
                "opened": self.opened}

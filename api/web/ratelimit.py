"""A generous per-IP token bucket for anonymous submissions, kept in memory.

Generous on purpose: a compound's residents share one Wi-Fi and mobile carriers put thousands of
phones behind one address (CGNAT), so the limit only stops floods (a script posting hundreds of
answers a minute), never a busy evening in a compound. In memory and per process: with several
workers each enforces its own bucket, which is still a bound; nothing is stored about the address.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import Request

# Past this many remembered addresses, full buckets (idle clients) are forgotten.
MAX_TRACKED = 50_000


class TokenBucket:
    """``capacity`` requests at once, refilled at ``per_minute`` per minute, per key."""

    def __init__(
        self,
        per_minute: int,
        capacity: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.rate = per_minute / 60.0
        self.capacity = float(capacity if capacity is not None else per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token: ``0.0`` when allowed, else the seconds until one is available."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_TRACKED:
                    self._forget_idle(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full = [
            key
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]


def submit_limiter(request: Request) -> TokenBucket:
    """The app's bucket for final form submissions (``settings.submit_rate_per_minute``)."""
    state = request.app.state
    limiter: TokenBucket | None = getattr(state, "survey_submit_limiter", None)
    if limiter is None:
        limiter = TokenBucket(state.settings.submit_rate_per_minute)
        state.survey_submit_limiter = limiter
    return limiter


def client_key(request: Request) -> str:
    # The socket peer: behind a reverse proxy this is the proxy, and the bucket becomes a global
    # limit; configure the proxy (or uvicorn --forwarded-allow-ips) to pass the real peer.
    return request.client.host if request.client else "unknown"


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))

"""Per-member rate limits and a short-lived cache of authenticated tokens, in process memory.

Each server process keeps its own buckets: behind a load balancer with N processes a member
gets at most N times the rate, which still stops a runaway script. A token is checked against
the store at most every ``AUTH_TTL`` seconds, so a revocation reaches every process within it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from db.community import Member

AUTH_TTL = 10.0
MAX_CACHED = 10_000


@dataclass
class Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate * 2)
        self._buckets: dict[int, Bucket] = {}

    def wait_for(self, key: int, now: float | None = None) -> float:
        """Take one request from ``key``'s bucket: 0 when allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_CACHED:
                self._buckets.clear()
            bucket = self._buckets[key] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class AuthCache:
    """token -> (member or None, checked at): saves a hash and a query per request."""

    def __init__(self, ttl: float = AUTH_TTL):
        self.ttl = ttl
        self._known: dict[str, tuple[Member | None, float]] = {}

    def get(self, token: str, now: float) -> tuple[bool, Member | None]:
        hit = self._known.get(token)
        if hit is None or now - hit[1] > self.ttl:
            return False, None
        return True, hit[0]

    def put(self, token: str, member: Member | None, now: float) -> None:
        if len(self._known) >= MAX_CACHED:
            self._known.clear()
        self._known[token] = (member, now)

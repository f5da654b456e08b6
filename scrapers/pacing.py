"""Per-host pacing for the fetcher: how fast we may ask one host, and deadline arithmetic.

A host is keyed as ``host:port`` (lower-case host, port made explicit), so two
local test servers on different ports count as two hosts, exactly as they do
for aiohttp's per-host connection limit.

The pacer spaces request *starts* to one host by ``1 / rate`` seconds with no
initial burst: N requests at R per second take (N - 1) / R seconds to start,
never less. A caller reserves the next free slot at once (no lock is needed on
one event loop) and sleeps until it; when that slot lies past the caller's
deadline it is refused with a ``timeout`` before any sleeping.

A fetcher for live calls (the server's) may be given a ``burst`` above 1: a request may then
start up to ``burst - 1`` intervals ahead of the host's schedule, so a host idle for that long
takes up to ``burst`` requests at once; every request still moves the schedule on by one
interval, so over any stretch of T seconds a host sees at most ``burst - 1 + T * rate``.
"""

from __future__ import annotations

import asyncio
import math
from typing import Mapping

from yarl import URL

from lookup.models import Status
from scrapers.base import FetchError


def parse_url(url: str) -> URL:
    """Parse an absolute http(s) URL or raise an ``error`` FetchError that says why."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError) as exc:
        raise FetchError(Status.ERROR, f"not a web address: {url!r} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(Status.ERROR, f"not an http(s) web address: {url!r}")
    return parsed


def host_key(url: URL) -> str:
    """``host:port`` with the scheme's default port filled in: the unit of politeness."""
    return f"{(url.host or '').lower()}:{url.port}"


def host_label(url: URL) -> str:
    """The host as a person would read it: the port only when the URL names one."""
    host = (url.host or "").lower()
    return f"{host}:{url.explicit_port}" if url.explicit_port else host


def rate_for(url: URL, rates: Mapping[str, float], default: float) -> float:
    """The configured rate for ``url``'s host: ``host:port`` first, then bare ``host``."""
    host = (url.host or "").lower()
    for key in (f"{host}:{url.port}", host):
        if key in rates:
            return rates[key]
    return default


def check_rate(rate: float, where: str) -> float:
    """Accept a positive rate (``inf`` means unpaced); raise ValueError otherwise."""
    if not isinstance(rate, (int, float)) or math.isnan(rate) or rate <= 0:
        raise ValueError(f"{where} must be a positive number of requests per second, not {rate!r}")
    return float(rate)


def format_seconds(seconds: float) -> str:
    """``0.25 s``, ``3 s``: short and stable for reasons shown to people."""
    return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"


def ensure_time_left(deadline: float | None, needed: float, what: str) -> None:
    """Raise ``timeout`` now if waiting ``needed`` seconds for ``what`` would pass the deadline."""
    if deadline is None:
        return
    left = deadline - asyncio.get_running_loop().time()
    if left <= 0:
        raise FetchError(Status.TIMEOUT, f"deadline passed before {what}")
    if needed > left:
        raise FetchError(
            Status.TIMEOUT,
            f"{what} would need {format_seconds(needed)} but only {format_seconds(left)} are left before the deadline",
        )


class HostPacer:
    """Hands out request start times per host so that each host sees at most its rate."""

    def __init__(self, rates: Mapping[str, float], default_rate: float, burst: int = 1):
        self._rates = rates
        self._default = default_rate
        self._ahead = max(int(burst), 1) - 1  # intervals a request may start ahead of the schedule
        self._next_free: dict[str, float] = {}

    def interval_for(self, url: URL) -> float:
        rate = rate_for(url, self._rates, self._default)
        return 0.0 if math.isinf(rate) else 1.0 / rate

    async def wait_turn(self, url: URL, deadline: float | None = None) -> None:
        """Sleep until this request may start; ``timeout`` at once if that is past ``deadline``."""
        loop = asyncio.get_running_loop()
        key = host_key(url)
        now = loop.time()
        interval = self.interval_for(url)
        scheduled = max(now, self._next_free.get(key, now))
        slot = max(now, scheduled - self._ahead * interval)
        ensure_time_left(deadline, slot - now, f"our turn to ask {host_label(url)} (rate limit)")
        self._next_free[key] = scheduled + interval
        if slot > now:
            try:
                await asyncio.sleep(slot - now)
            except asyncio.CancelledError:
                self._give_back(key, scheduled, interval)
                raise

    def _give_back(self, key: str, scheduled: float, interval: float) -> None:
        """A cancelled waiter frees its turn when nobody has queued behind it."""
        if self._next_free.get(key) == scheduled + interval:
            self._next_free[key] = scheduled

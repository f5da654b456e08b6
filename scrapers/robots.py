"""robots.txt for the fetcher: fetched once per origin, shared, honoured, kept a day.

Concurrent first requests to one origin wait on the same load. A waiter gives
up at its own deadline without cancelling the shared load, so the next request
still benefits from it. What counts as "allow everything" follows the fetcher's
brief: a robots.txt that is missing (4xx), broken (5xx) or unreachable.

A loaded robots.txt is used for at most :data:`ROBOTS_MAX_AGE_S` (a day, the
limit RFC 9309 sets), also by a long-running server. With a
:class:`RobotsMemory` (the store) answers outlive the run: the fetcher reads
them there, and hands 2xx and 4xx answers it fetched to its owner to keep,
never a 5xx or an unreachable site, which are asked again next time.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Protocol
from urllib.robotparser import RobotFileParser

from yarl import URL

from lookup.models import Status
from scrapers.base import FetchError
from scrapers.pacing import host_label

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 lets a crawler ignore anything past 500 KiB
ROBOTS_MAX_AGE_S = 24 * 3600.0  # RFC 9309: a cached robots.txt should not be used for longer

RobotsLoader = Callable[[URL], Awaitable[RobotFileParser]]


class RobotsMemory(Protocol):
    """Where robots.txt bodies outlive a run (:class:`db.store.Store` is one). The fetcher only
    reads it; what it fetched it hands over with :meth:`Fetcher.take_robots
    <scrapers.http.Fetcher.take_robots>`, and the engine saves that with its batch. A memory
    that cannot answer returns None."""

    def recall_robots(self, origin: str, max_age_s: float) -> str | None: ...


class _AllowEverything(RobotFileParser):
    """What a missing, broken or unreachable robots.txt means."""

    def can_fetch(self, useragent: str, url: str) -> bool:
        return True


def allow_everything() -> RobotFileParser:
    return _AllowEverything()


def parse_robots(text: str) -> RobotFileParser:
    """Parse robots.txt text; junk lines are ignored, as the standard asks."""
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    parser.modified()  # can_fetch() refuses everything until the parser counts as read
    return parser


class RobotsCache:
    """One robots.txt per origin (scheme, host, port), loaded at most once."""

    def __init__(self, load: RobotsLoader, user_agent: str, max_age_s: float = ROBOTS_MAX_AGE_S):
        self._load = load
        self._user_agent = user_agent
        self._max_age_s = max_age_s
        self._loads: dict[str, asyncio.Task[RobotFileParser]] = {}
        self._started: dict[str, float] = {}  # loop time each load began

    async def check(self, url: URL, deadline: float | None = None) -> None:
        """Raise ``skipped`` when robots.txt disallows ``url``; ``timeout`` if it cannot arrive in time."""
        parser = await self._parser_for(url, deadline)
        if not parser.can_fetch(self._user_agent, str(url)):
            raise FetchError(Status.SKIPPED, f"robots.txt of {host_label(url)} disallows {url.path or '/'}")

    async def _parser_for(self, url: URL, deadline: float | None) -> RobotFileParser:
        origin = url.origin()
        key = str(origin)
        task = self._loads.get(key)
        now = asyncio.get_running_loop().time()
        if task is None or (task.done() and now - self._started[key] >= self._max_age_s):
            task = asyncio.ensure_future(self._load(origin))
            self._loads[key] = task
            self._started[key] = now
        if task.done():
            return task.result()
        if deadline is None:
            return await asyncio.shield(task)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(task)
        except TimeoutError:
            raise FetchError(
                Status.TIMEOUT, f"robots.txt of {host_label(url)} did not arrive before the deadline"
            ) from None

    async def close(self) -> None:
        """Cancel loads still running (the run is over) and wait for them to end."""
        pending = [task for task in self._loads.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._loads.clear()
        self._started.clear()

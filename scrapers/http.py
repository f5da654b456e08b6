"""The polite fetcher: one aiohttp session per run, paced per host, retried, bounded by a deadline.

Every failure leaves :meth:`Fetcher.fetch` and :meth:`Fetcher.download` as a
:class:`scrapers.base.FetchError` whose ``status`` is ``timeout``,
``rate_limited``, ``blocked``, ``skipped`` (robots.txt) or ``error`` and
whose reason is plain words; aiohttp, asyncio and OS errors are translated
here. Cancelling the calling task still cancels it (``CancelledError`` passes).

What is retried (up to ``max_attempts`` in all, after exponential backoff
with jitter or the server's ``Retry-After``): refused or reset connections,
malformed or cut-short responses, an attempt with no answer within
``attempt_timeout``, HTTP 429 and 5xx. A POST is repeated only when the
server surely did not act on it (refused connection, 429, 503), so a report
is never filed twice. Not retried: a bot wall, a body past the size cap, a
wrong body kind, DNS and TLS failures. A 5xx counts as a bot wall only when
it carries a known challenge marker (Cloudflare's "Just a moment" 503), so a
plain maintenance 503 is retried. A 403 is a wall unless a JSON/XML/text API
answered with a body of that kind (a bad API key): that page goes to the
source like any other 4xx.

``deadline`` is an absolute time on the running loop's clock. A wait (our
turn under the host's rate, a retry pause, ``Retry-After``) that would end
past it is not started: ``timeout`` is raised at once. Requests in flight and
the wait for robots.txt are cut off at the deadline.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping
from urllib.robotparser import RobotFileParser

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from lookup.models import Status
from lookup.settings import DEFAULT_USER_AGENT, ConfigError, Settings
from scrapers.attempts import AttemptsMixin
from scrapers.base import FetchError, Page, Request, Source
from scrapers.bodies import check_kind, find_wall, make_page, page_has_kind, parse_retry_after, read_body, save_body
from scrapers.failures import Transient
from scrapers.pacing import HostPacer, check_rate, ensure_time_left, host_label, parse_url
from scrapers.robots import (
    ROBOTS_MAX_AGE_S,
    ROBOTS_MAX_BYTES,
    RobotsCache,
    RobotsMemory,
    allow_everything,
    parse_robots,
)

ERROR_BODY_BYTES = 256 * 1024  # enough of an error page to recognise a bot wall
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how long the fetcher may try. Rates are requests per second per host;
    ``rates`` keys are ``host`` or ``host:port`` (``host:port`` wins)."""

    user_agent: str = DEFAULT_USER_AGENT
    max_bytes: int = 4_000_000
    default_rate: float = 1.0
    rates: Mapping[str, float] = field(default_factory=dict)
    per_host_concurrency: int = 2
    max_attempts: int = 3
    backoff_base: float = 0.25
    max_retry_after: float = 30.0
    respect_robots: bool = True
    attempt_timeout: float = 15.0  # one attempt, when no deadline is nearer
    robots_timeout: float = 10.0
    unreachable_pause: float = 60.0  # a host that cannot be reached is not asked again for this long
    silent_limit: int = 3  # requests in a row a host may leave unanswered before it is paused
    burst: int = 1  # requests an idle host may take at once (see scrapers.pacing); >1 for live calls

    def __post_init__(self) -> None:
        check_rate(self.default_rate, "default_rate")
        rates = {str(host).lower(): check_rate(rate, f"rate for {host}") for host, rate in self.rates.items()}
        object.__setattr__(self, "rates", rates)
        for name in ("max_bytes", "per_host_concurrency", "max_attempts", "silent_limit", "burst"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("backoff_base", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("attempt_timeout", "robots_timeout", "unreachable_pause"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    @classmethod
    def from_settings(cls, settings: Settings, sources: Iterable[Source | type[Source]] = ()) -> FetchSettings:
        """User-Agent from ``settings``; a rate per source host from its ``rate`` setting or class
        default. Sources sharing a host get the slowest of their rates."""
        rates: dict[str, float] = {}
        for source in sources:
            if isinstance(source, type):
                source = source(settings.source(source.name))
            if not source.base_url:
                continue
            try:
                key = host_label(parse_url(source.base_url))
                configured = source.config.rate
                rate = check_rate(configured if configured is not None else type(source).rate, f"rate of {source.name}")
            except FetchError as exc:
                raise ConfigError(f"base_url of source {source.name}: {exc.reason}") from None
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            rates[key] = min(rate, rates.get(key, rate))
        return cls(user_agent=settings.user_agent, rates=rates)


@dataclass(frozen=True)
class Download:
    """The outcome of :meth:`Fetcher.download`. ``path`` is None when nothing was written
    (304 Not Modified, 404 and other 4xx answers)."""

    status: int
    path: Path | None
    etag: str | None
    last_modified: str | None
    bytes: int
    content_type: str


class Fetcher(AttemptsMixin):
    """Fetches pages and files for one run; use as ``async with Fetcher(settings) as fetcher``.
    ``robots_memory`` (the store) keeps robots.txt answers between runs: the fetcher reads it,
    and hands what it fetched to its owner through :meth:`take_robots` (it never writes)."""

    def __init__(self, settings: FetchSettings | None = None, robots_memory: RobotsMemory | None = None):
        self.settings = settings or FetchSettings()
        self._robots_memory = robots_memory
        self._learned_robots: dict[str, str] = {}  # origin -> body fetched and not yet taken
        self._session: aiohttp.ClientSession | None = None
        self._pacer = HostPacer(self.settings.rates, self.settings.default_rate, self.settings.burst)
        self._robots = RobotsCache(self._load_robots, self.settings.user_agent)
        self._random = random.Random()
        self._unreachable: dict[str, tuple[float, str]] = {}  # host -> (loop time to ask again, why)
        self._silent: dict[str, int] = {}  # host -> requests in a row it left unanswered

    async def __aenter__(self) -> Fetcher:
        self._open_session()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._robots.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def take_robots(self) -> dict[str, str]:
        """The robots.txt bodies fetched since the last call (origin -> body, ``""`` for a
        4xx answer), for the owner to keep beside its other writes."""
        learned, self._learned_robots = self._learned_robots, {}
        return learned

    async def fetch(self, request: Request, *, deadline: float | None = None) -> Page:
        """Fetch ``request`` and return its page (2xx, 3xx, and 4xx other than walls and 429)."""
        url = parse_url(request.url)
        ensure_time_left(deadline, 0.0, f"asking {host_label(url)}")
        if request.robots and self.settings.respect_robots:
            await self._robots.check(url, deadline)
        headers = self._headers(request.headers)
        params = dict(request.params) or None
        method = request.method.upper()

        async def send(session: aiohttp.ClientSession) -> Page:
            async with session.request(method, url, headers=headers, params=params, json=request.json) as resp:
                return await self._read_page(resp, request.expect)

        return await self._with_retries(url, send, deadline, repeatable=method in _IDEMPOTENT)

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        deadline: float | None = None,
        max_bytes: int = 200_000_000,
        headers: Mapping[str, str] | None = None,
        robots: bool = True,
    ) -> Download:
        """Stream ``url`` into ``dest`` (atomically), conditionally when ``etag``/``last_modified`` are given."""
        target = parse_url(url)
        dest = Path(dest)
        ensure_time_left(deadline, 0.0, f"asking {host_label(target)}")
        if robots and self.settings.respect_robots:
            await self._robots.check(target, deadline)
        sent = self._headers(headers or {})
        if etag:
            sent["If-None-Match"] = etag
        if last_modified:
            sent["If-Modified-Since"] = last_modified

        async def send(session: aiohttp.ClientSession) -> Download:
            async with session.get(target, headers=sent) as resp:
                return await self._save(resp, dest, max_bytes, etag, last_modified)

        return await self._with_retries(target, send, deadline)

    # -- one response
    async def _read_page(self, resp: aiohttp.ClientResponse, expect: str) -> Page:
        await self._raise_for_retry(resp)
        page = make_page(resp, await read_body(resp, self.settings.max_bytes))
        if page.status == 403 and not (expect != "html" and page_has_kind(page, expect)):
            raise FetchError(Status.BLOCKED, find_wall(page) or "HTTP 403 Forbidden")
        check_kind(page, expect)
        return page

    async def _save(
        self, resp: aiohttp.ClientResponse, dest: Path, cap: int, etag: str | None, last_modified: str | None
    ) -> Download:
        await self._raise_for_retry(resp)
        status = resp.status
        new_etag = resp.headers.get("ETag") or (etag if status == 304 else None)
        new_modified = resp.headers.get("Last-Modified") or (last_modified if status == 304 else None)
        content_type = resp.headers.get("Content-Type", "")
        if status == 403:
            page = make_page(resp, await read_body(resp, ERROR_BODY_BYTES, truncate=True))
            raise FetchError(Status.BLOCKED, find_wall(page) or "HTTP 403 Forbidden")
        if not 200 <= status < 300:
            return Download(status, None, new_etag, new_modified, 0, content_type)
        size = await save_body(resp, dest, cap)
        return Download(status, dest, new_etag, new_modified, size, content_type)

    async def _raise_for_retry(self, resp: aiohttp.ClientResponse) -> None:
        """429 and 5xx: ``blocked`` if the body is a bot wall, else a transient failure."""
        if resp.status != 429 and resp.status < 500:
            return
        page = make_page(resp, await read_body(resp, ERROR_BODY_BYTES, truncate=True))
        wall = find_wall(page)
        if wall:
            raise FetchError(Status.BLOCKED, f"{wall} (HTTP {resp.status})")
        status = Status.RATE_LIMITED if resp.status == 429 else Status.ERROR
        reason = f"HTTP {resp.status} {resp.reason or ''}".rstrip()
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        raise Transient(status, reason, retry_after, unheard=resp.status in (429, 503))

    # -- plumbing
    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=100, limit_per_host=self.settings.per_host_concurrency)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),  # deadlines are ours, see _attempt
                headers={"User-Agent": self.settings.user_agent},
            )
        return self._session

    def _headers(self, extra: Mapping[str, str]) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict(extra)
        headers["User-Agent"] = self.settings.user_agent
        return headers

    async def _load_robots(self, origin: URL) -> RobotFileParser:
        """``origin``'s robots.txt from the memory when it is under a day old, else one try at
        the site; a 4xx answer allows everything and is remembered as an empty file, a 5xx or
        no answer allows everything for this run only.

        It does not take a turn under the host's rate: it is one small request per
        host per day, and pacing it would delay the first lookup by 1 / rate.
        """
        key = str(origin)
        memory = self._robots_memory
        if memory is not None and (body := memory.recall_robots(key, ROBOTS_MAX_AGE_S)) is not None:
            return parse_robots(body) if body else allow_everything()
        session = self._open_session()
        try:
            async with asyncio.timeout(self.settings.robots_timeout):
                async with session.get(origin.with_path("/robots.txt"), headers=self._headers({})) as resp:
                    if not 200 <= resp.status < 300:
                        if 400 <= resp.status < 500:
                            self._learned_robots[key] = ""
                        return allow_everything()
                    raw = await read_body(resp, ROBOTS_MAX_BYTES, truncate=True)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
            return allow_everything()
        body = raw.decode("utf-8", errors="replace")
        self._learned_robots[key] = body
        return parse_robots(body)

"""The fetcher's manners: robots.txt, per-host rate limits and concurrency, and settings."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from aiohttp import web

from lookup.models import Status
from lookup.settings import ConfigError, Settings, SourceConfig
from scrapers.base import FetchError, Request, SourceBase
from scrapers.bodies import format_size, parse_retry_after
from scrapers.http import Fetcher, FetchSettings


def now() -> float:
    return asyncio.get_running_loop().time()


def text(body: str, status: int = 200):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body)

    return handler


async def outcome(fetcher: Fetcher, url: str, **kwargs) -> str:
    """The page body, or the failure status name: handy for gathering many fetches."""
    try:
        return (await fetcher.fetch(Request(url), **kwargs)).body
    except FetchError as exc:
        return exc.status.value


# -- robots.txt

ROBOTS = "User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"


async def test_robots_disallow_skips_and_robots_is_fetched_once(web_site, fast_settings):
    site = await web_site({"/robots.txt": text(ROBOTS), "/open": text("open"), "/private/x": text("secret")})
    async with Fetcher(fast_settings) as fetcher:
        bodies = await asyncio.gather(*(outcome(fetcher, site.url("/open")) for _ in range(5)))
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(Request(site.url("/private/x")))
    assert bodies == ["open"] * 5
    assert caught.value.status is Status.SKIPPED
    assert caught.value.reason == f"robots.txt of {site.host} disallows /private/x"
    assert site.hits["/robots.txt"] == 1
    assert site.hits["/private/x"] == 0
    assert site.log[0].headers["User-Agent"] == fast_settings.user_agent


async def test_robots_rules_for_our_agent_apply_to_us(web_site, fast_settings):
    site = await web_site({"/robots.txt": text("User-agent: whocalled\nDisallow: /\n"), "/p": text("p")})
    async with Fetcher(fast_settings) as fetcher:
        assert await outcome(fetcher, site.url("/p")) == "skipped"


@pytest.mark.parametrize("status", [404, 410, 500, 503], ids=lambda s: f"robots-{s}")
async def test_missing_or_broken_robots_allows_all(web_site, fast_settings, status):
    site = await web_site({"/robots.txt": text("User-agent: *\nDisallow: /\n", status), "/p": text("p")})
    async with Fetcher(fast_settings) as fetcher:
        assert await outcome(fetcher, site.url("/p")) == "p"


async def test_unreachable_robots_allows_all(raw_site, fast_settings):
    async def answer(connection: int) -> bytes | None:
        if connection == 1:
            return None  # robots.txt: connection dropped
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"

    site = await raw_site(answer)
    settings = dataclasses.replace(fast_settings, max_attempts=1)
    async with Fetcher(settings) as fetcher:
        assert await outcome(fetcher, site.url("/p")) == "ok"


async def test_silent_robots_is_bounded_by_the_deadline(web_site, never_answers, fast_settings):
    site = await web_site({"/robots.txt": never_answers, "/p": text("p")})
    async with Fetcher(fast_settings) as fetcher:
        start = now()
        results = await asyncio.gather(*(outcome(fetcher, site.url("/p"), deadline=now() + 0.4) for _ in range(3)))
        elapsed = now() - start
    assert results == ["timeout"] * 3
    assert elapsed < 0.5
    assert site.hits["/robots.txt"] == 1 and site.hits["/p"] == 0


@pytest.mark.parametrize("respect", [True, False], ids=["request-opts-out", "settings-opt-out"])
async def test_robots_can_be_skipped(web_site, fast_settings, respect):
    site = await web_site({"/robots.txt": text("User-agent: *\nDisallow: /\n"), "/api": text("answer")})
    settings = dataclasses.replace(fast_settings, respect_robots=respect)
    async with Fetcher(settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/api"), robots=not respect))
    assert page.body == "answer"
    assert site.hits["/robots.txt"] == 0


async def test_robots_does_not_cost_the_first_lookup_a_turn(web_site, fast_settings):
    site = await web_site({"/robots.txt": text(ROBOTS), "/p": text("p")})
    async with Fetcher(dataclasses.replace(fast_settings, default_rate=1.0)) as fetcher:
        start = now()
        body = await outcome(fetcher, site.url("/p"), deadline=now() + 0.5)
        elapsed = now() - start
    assert (body, site.hits["/robots.txt"]) == ("p", 1)
    assert elapsed < 0.2


# -- robots.txt kept between runs


async def two_runs(site, settings, store, path: str = "/private/x") -> list[str]:
    """The same fetch in two runs (two fetchers) sharing one store; each run's owner keeps
    what its fetcher learned, as the engine does at the end of a batch."""
    out = []
    for _ in range(2):
        async with Fetcher(settings, robots_memory=store) as fetcher:
            out.append(await outcome(fetcher, site.url(path)))
            store.save_robots(fetcher.take_robots())
    return out


async def test_robots_is_remembered_between_runs(web_site, fast_settings, tmp_path):
    from db.store import Store

    site = await web_site({"/robots.txt": text(ROBOTS), "/private/x": text("secret")})
    with Store(tmp_path / "w.db") as store:
        async with Fetcher(fast_settings, robots_memory=store) as fetcher:
            assert await outcome(fetcher, site.url("/private/x")) == "skipped"
            assert store.recall_robots(site.base, 60) is None  # the fetcher never writes
            learned = fetcher.take_robots()
            assert learned == {site.base: ROBOTS} and fetcher.take_robots() == {}
        store.save_robots(learned)
        assert await two_runs(site, fast_settings, store) == ["skipped", "skipped"]
        assert store.recall_robots(site.base, 60) == ROBOTS
    assert site.hits["/robots.txt"] == 1 and site.hits["/private/x"] == 0


async def test_remembered_robots_is_used_for_a_day_at_most(web_site, fast_settings, tmp_path):
    from db.store import Store

    site = await web_site({"/robots.txt": text("User-agent: *\nDisallow:\n"), "/private/x": text("secret")})
    with Store(tmp_path / "w.db") as store:
        stale = (datetime.now(timezone.utc) - timedelta(hours=25)).isoformat(timespec="seconds")
        store.conn.execute("INSERT INTO robots VALUES (?, ?, ?)", (site.base, ROBOTS, stale))
        # the day-old copy disallowed /private/; the site no longer does, and is asked again
        assert await two_runs(site, fast_settings, store) == ["secret", "secret"]
    assert site.hits["/robots.txt"] == 1


@pytest.mark.parametrize(("status", "asked"), [(404, 1), (410, 1), (500, 2), (503, 2)], ids=lambda v: str(v))
async def test_missing_robots_is_remembered_and_a_broken_one_is_not(web_site, fast_settings, tmp_path, status, asked):
    from db.store import Store

    site = await web_site({"/robots.txt": text("User-agent: *\nDisallow: /\n", status), "/private/x": text("p")})
    with Store(tmp_path / "w.db") as store:
        assert await two_runs(site, fast_settings, store) == ["p", "p"]
    assert site.hits["/robots.txt"] == asked


async def test_a_store_that_cannot_keep_robots_only_costs_a_fetch(web_site, fast_settings, tmp_path):
    from db.store import Store

    site = await web_site({"/robots.txt": text(ROBOTS), "/private/x": text("secret"), "/open": text("open")})
    with Store(tmp_path / "w.db") as store:
        store.conn.execute("DROP TABLE robots")  # every read and write of the memory now fails
        assert store.recall_robots(site.base, 60) is None
        assert store.save_robots({site.base: ROBOTS}) is False
        assert await two_runs(site, fast_settings, store) == ["skipped", "skipped"]
        async with Fetcher(fast_settings, robots_memory=store) as fetcher:
            assert await outcome(fetcher, site.url("/open")) == "open"
    assert site.hits["/robots.txt"] == 3


async def test_a_long_running_fetcher_reloads_robots_after_its_max_age():
    from scrapers.robots import RobotsCache, parse_robots

    bodies = iter(["User-agent: *\nDisallow: /a\n", "User-agent: *\nDisallow: /b\n"])
    loads = []

    async def load(origin):
        loads.append(str(origin))
        return parse_robots(next(bodies))

    from yarl import URL

    cache = RobotsCache(load, "whocalled", max_age_s=0.2)
    url_a, url_b = URL("http://127.0.0.1:9/a"), URL("http://127.0.0.1:9/b")
    with pytest.raises(FetchError):
        await cache.check(url_a)
    await cache.check(url_b)  # same copy: /b allowed, no new load
    assert len(loads) == 1
    await asyncio.sleep(0.25)
    await cache.check(url_a)  # the copy expired; the new one allows /a and forbids /b
    with pytest.raises(FetchError):
        await cache.check(url_b)
    assert loads == ["http://127.0.0.1:9", "http://127.0.0.1:9"]
    await cache.close()


# -- pacing


async def test_rate_limit_spaces_requests_to_one_host(web_site, fast_settings):
    site = await web_site({"/n": text("n")})
    settings = dataclasses.replace(fast_settings, rates={site.host: 20.0})
    async with Fetcher(settings) as fetcher:
        start = now()
        await asyncio.gather(*(fetcher.fetch(Request(site.url("/n"), robots=False)) for _ in range(10)))
        elapsed = now() - start
    assert 0.45 <= elapsed < 0.8  # 9 gaps of 1/20 s; not less, not much more
    # the server (same loop clock) never saw the i-th request before start + i/20 s
    assert all(hit.at - start >= i / 20 - 0.002 for i, hit in enumerate(site.log))


async def test_two_hosts_are_paced_independently(web_site, fast_settings):
    one = await web_site({"/n": text("1")})
    two = await web_site({"/n": text("2")})
    settings = dataclasses.replace(fast_settings, default_rate=20.0)
    async with Fetcher(settings) as fetcher:
        start = now()
        requests = [Request(site.url("/n"), robots=False) for site in (one, two) for _ in range(10)]
        await asyncio.gather(*(fetcher.fetch(r) for r in requests))
        elapsed = now() - start
    assert 0.45 <= elapsed < 0.8  # in parallel: about 10/20 s, not 20/20 s
    assert one.hits["/n"] == two.hits["/n"] == 10


async def test_a_turn_past_the_deadline_times_out_without_waiting(web_site, fast_settings):
    site = await web_site({"/n": text("n")})
    settings = dataclasses.replace(fast_settings, default_rate=2.0, respect_robots=False)
    async with Fetcher(settings) as fetcher:
        deadline = now() + 0.7
        first, second = await asyncio.gather(outcome(fetcher, site.url("/n")), outcome(fetcher, site.url("/n")))
        start = now()
        third = await outcome(fetcher, site.url("/n"), deadline=deadline)  # its turn would be at +1.0 s
        assert now() - start < 0.05
    assert (first, second, third) == ("n", "n", "timeout")


async def test_concurrency_per_host_is_capped(web_site, fast_settings):
    active = {"now": 0, "most": 0}

    async def busy(request: web.Request) -> web.Response:
        active["now"] += 1
        active["most"] = max(active["most"], active["now"])
        await asyncio.sleep(0.05)
        active["now"] -= 1
        return web.Response(text="done")

    site = await web_site({"/b": busy})
    async with Fetcher(dataclasses.replace(fast_settings, per_host_concurrency=2)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(Request(site.url("/b"), robots=False)) for _ in range(8)))
    assert active["most"] == 2


# -- settings and small helpers


class SlowSite(SourceBase):
    name = "slow_site"
    title = "slow.example"
    default_base_url = "https://www.slow.example"
    rate = 0.5


class ApiSite(SourceBase):
    name = "api_site"
    title = "api.example"
    default_base_url = "https://api.example:8443/v1"


def test_fetch_settings_from_settings_takes_rates_per_source_host():
    settings = Settings(
        user_agent="whocalled-test/1 (+https://example.org)",
        sources={"api_site": SourceConfig(rate=5.0), "slow_site": SourceConfig(base_url="http://127.0.0.1:8080")},
    )
    shared = ApiSite(SourceConfig(base_url="https://www.slow.example", rate=3.0))
    fetch = FetchSettings.from_settings(settings, [ApiSite(settings.source("api_site")), SlowSite, shared, SlowSite()])
    assert fetch.user_agent == "whocalled-test/1 (+https://example.org)"
    assert fetch.rates == {"api.example:8443": 5.0, "127.0.0.1:8080": 0.5, "www.slow.example": 0.5}


def test_fetch_settings_refuses_a_zero_rate():
    settings = Settings(sources={"slow_site": SourceConfig(rate=0.0)})
    with pytest.raises(ConfigError, match="slow_site"):
        FetchSettings.from_settings(settings, [SlowSite])
    with pytest.raises(ValueError, match="positive"):
        FetchSettings(rates={"example.com": -1.0})


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        pytest.param("5", 5.0, 5.0, id="seconds"),
        pytest.param(" 0.5 ", 0.5, 0.5, id="fraction"),
        pytest.param("-3", 0.0, 0.0, id="negative-is-now"),
        pytest.param(120, 118.0, 121.0, id="http-date"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, 0.0, id="date-in-the-past"),
    ],
)
def test_parse_retry_after(header, low, high):
    if isinstance(header, int):
        header = http_date(header)  # built now, not at collection time
    assert low <= parse_retry_after(header) <= high


@pytest.mark.parametrize("header", [None, "", "soon", "nan", "inf"], ids=["none", "empty", "word", "nan", "inf"])
def test_parse_retry_after_ignores_junk(header):
    assert parse_retry_after(header) is None


@pytest.mark.parametrize(
    ("size", "words"),
    [(4_000_000, "4 MB"), (1_500_000, "1.5 MB"), (200_000_000, "200 MB"), (100_000, "100 kB"), (512, "512 bytes")],
    ids=["4MB", "1.5MB", "200MB", "100kB", "bytes"],
)
def test_format_size(size, words):
    assert format_size(size) == words

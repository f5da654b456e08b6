"""The engine against a real local HTTP server: fan-out, deadline, cache rules, de-duplication.

The sources here are small test sources (the real ones have their own tests); the
HTTP path is real: aiohttp client -> fetcher -> aiohttp server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest
from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import Finding, Number, Status
from lookup.settings import Settings, SourceConfig
from scrapers.base import Page, Request, Source


class JsonSource(Source):
    """Answers from ``{base}/{name}/{e164}``: JSON ``{"spam": .., "reports": ..}``, 404 = not listed."""

    name = "json_a"
    title = "Test A"
    reliability = 1.0

    def request(self, number: Number) -> Request:
        return Request(f"{self.base_url}/{self.name}/{number.e164}", expect="json", robots=False)

    def parse(self, page: Page, number: Number) -> Finding:
        if page.status == 404:
            return self.finding(number, Status.NOT_FOUND, detail="not listed")
        data = json.loads(page.body)
        return self.finding(number, Status.FOUND, spam=data["spam"], reports=data["reports"],
                            name=data.get("name"), detail=f"spam {data['spam']} from {data['reports']} reports")


class SlowSource(JsonSource):
    name = "json_slow"
    title = "Slow"


class WalledSource(JsonSource):
    name = "json_wall"
    title = "Walled"


class GbOnlySource(JsonSource):
    name = "json_gb"
    title = "GB only"
    regions = frozenset({"GB"})


@pytest.fixture
async def site(aiohttp_server):
    hits: Counter[str] = Counter()

    async def answer(request: web.Request) -> web.Response:
        source, number = request.match_info["source"], request.match_info["number"]
        hits[source, number] += 1
        if source == "json_slow":
            await asyncio.sleep(10)
        if source == "json_wall":
            return web.Response(status=503, text="<html><title>Just a moment...</title></html>", content_type="text/html")
        if number.endswith("0000"):
            return web.Response(status=404, text="{}", content_type="application/json")
        return web.json_response({"spam": 0.95, "reports": 40, "name": "Robo <b>Corp</b>"})

    app = web.Application()
    app.router.add_get("/{source}/{number}", answer)
    server = await aiohttp_server(app)
    return server, hits


def make_engine(server, *classes, store=None, deadline=1.0) -> Engine:
    base = str(server.make_url("")).rstrip("/")
    sources = [cls(SourceConfig(base_url=base, rate=200)) for cls in classes]
    return Engine(store=store or Store(), settings=Settings(deadline=deadline), sources=sources)


async def test_fan_out_with_one_slow_and_one_walled_source(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource, SlowSource, WalledSource, deadline=1.0)
    engine.normalize(["+1 415 555 0199"])  # number facts (geocoder tables) load before the clock starts
    start = time.monotonic()
    [result] = await engine.lookup(["+1 415 555 0199"])
    elapsed = time.monotonic() - start
    assert elapsed < 1.0 * 1.3, elapsed
    status = {f.source: f.status for f in result.findings}
    assert status == {"json_a": Status.FOUND, "json_slow": Status.TIMEOUT, "json_wall": Status.BLOCKED}
    found = next(f for f in result.findings if f.source == "json_a")
    assert found.name == "Robo <b>Corp</b>" and found.reports == 40
    assert result.verdict is not None and any(e.source == "json_a" and e.weight > 0 for e in result.verdict.evidence)
    # only the definite answer is cached as fresh; failures are never mistaken for "clean"
    fresh = engine.store.fresh_findings(["+14155550199"])["+14155550199"]
    assert [f.source for f in fresh] == ["json_a"]


class PoliteSource(JsonSource):
    """Asks robots.txt first, as the real scraping sources do."""

    name = "json_polite"

    def request(self, number: Number) -> Request:
        return Request(f"{self.base_url}/{self.name}/{number.e164}", expect="json")


async def test_robots_txt_is_asked_once_across_runs(aiohttp_server, tmp_path) -> None:
    """Each CLI run is a new engine over the same database: robots.txt is read from the
    store on later runs instead of being fetched again, and its rules still apply."""
    hits: Counter[str] = Counter()

    async def robots(request: web.Request) -> web.Response:
        hits["robots"] += 1
        return web.Response(text="User-agent: *\nDisallow: /json_polite/+1212\n")

    async def answer(request: web.Request) -> web.Response:
        hits[request.match_info["number"]] += 1
        return web.json_response({"spam": 0.9, "reports": 3})

    app = web.Application()
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/json_polite/{number}", answer)
    server = await aiohttp_server(app)
    for number in ("+1 415 555 0199", "+1 415 555 0198", "+1 212 555 0100"):
        with Store(tmp_path / "runs.db") as store:
            [result] = await make_engine(server, PoliteSource, store=store).lookup([number])
    assert hits["robots"] == 1
    assert hits["+14155550199"] == hits["+14155550198"] == 1 and hits["+12125550100"] == 0
    assert [f.status for f in result.findings] == [Status.SKIPPED]


async def test_cache_is_used_then_refresh_ignores_it(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource)
    await engine.lookup(["+1 415 555 0199"])
    [again] = await engine.lookup(["+1 415 555 0199"])
    assert hits["json_a", "+14155550199"] == 1
    assert [f.cached for f in again.findings] == [True]
    await engine.lookup(["+1 415 555 0199"], refresh=True)
    assert hits["json_a", "+14155550199"] == 2


async def test_a_number_asked_twice_is_fetched_once(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource)
    results = await engine.lookup(["+1 415 555 0199", "(415) 555-0199", "hello"])
    assert hits["json_a", "+14155550199"] == 1
    assert [r.ok for r in results] == [True, True, False]
    assert results[0].verdict == results[1].verdict


async def test_not_found_is_cached_but_weighs_nothing(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource)
    [r] = await engine.lookup(["+1 415 555 0000"])
    assert r.findings[0].status is Status.NOT_FOUND
    assert all(e.weight == 0 for e in r.verdict.evidence if e.source == "json_a")
    assert engine.store.fresh_findings(["+14155550000"])


async def test_offline_never_touches_the_network(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource)
    results = engine.lookup_offline(["+1 415 555 0199"])
    assert sum(hits.values()) == 0 and results[0].findings == ()


async def test_sources_decline_numbers_they_do_not_cover(site) -> None:
    server, hits = site
    engine = make_engine(server, GbOnlySource)
    [r] = await engine.lookup(["+1 415 555 0199"])
    assert [f.status for f in r.findings] == [Status.SKIPPED]
    assert sum(hits.values()) == 0
    assert engine.store.latest_findings(["+14155550199"]) == {}


async def test_only_limits_sources(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource, SlowSource)
    [r] = await engine.lookup(["+1 415 555 0199"], only=["json_a"])
    assert [f.source for f in r.findings] == ["json_a"]


async def test_unreachable_source_is_an_error_not_a_crash(site) -> None:
    server, hits = site
    dead = JsonSource(SourceConfig(base_url="http://127.0.0.1:9", rate=200))
    engine = Engine(store=Store(), settings=Settings(deadline=1.0), sources=[dead])
    [r] = await engine.lookup(["+1 415 555 0199"])
    assert r.findings[0].status in (Status.ERROR, Status.TIMEOUT)
    assert r.findings[0].detail


async def test_a_long_running_session_is_shared_across_lookups(site) -> None:
    server, hits = site
    engine = make_engine(server, JsonSource)
    await engine.open_session()
    try:
        first = engine._fetcher
        await engine.lookup(["+1 415 555 0199"])
        await engine.lookup(["+1 415 555 0188"])
        assert engine._fetcher is first
    finally:
        await engine.close_session()
    assert engine._fetcher is None
    assert hits["json_a", "+14155550199"] == hits["json_a", "+14155550188"] == 1

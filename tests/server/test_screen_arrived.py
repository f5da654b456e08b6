"""Screens use what has arrived (issue 17): eight sites on 127.0.0.1, each its own host at the
polite rate of one request a second, one of them silent. At its deadline a screen (and /cnam)
scores every finding that came back, names the silent source, and a burst of screens for the
same number shares the one lookup instead of queueing new requests behind the sites' pace.

Real aiohttp client and servers, a real SQLite file, the real engine and fetcher."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Awaitable, Callable

import pytest
from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import Finding, Number, Status
from lookup.server.app import create_app
from lookup.settings import Settings, SourceConfig
from scrapers.base import Page, Request, Source

CALLER = "+12025550177"
SITES = 8
SILENT = SITES - 1  # the last site accepts the request and never answers
SCREEN_DEADLINE = 1.0


def site_class(i: int) -> type[Source]:
    class Site(Source):
        name = f"site{i}"
        title = f"Site {i}"
        reliability = 1.0
        rate = 1.0

        def request(self, number: Number) -> Request:
            return Request(f"{self.base_url}/{number.e164}", expect="json", robots=False)

        def parse(self, page: Page, number: Number) -> Finding:
            data = json.loads(page.body)
            return self.finding(number, Status.FOUND, spam=data["spam"], reports=data["reports"],
                                detail=f"{data['reports']} reports on site {i}")

    return Site


async def start_sites(aiohttp_server, hold: Callable[[int, web.Request], Awaitable[None]]) -> list:
    """SITES flagging sites on 127.0.0.1; each request is first handed to ``hold(site, request)``
    (which notes it and may keep the answer back)."""
    servers = []
    for i in range(SITES):
        async def answer(request: web.Request, i: int = i) -> web.Response:
            await hold(i, request)
            return web.json_response({"spam": 0.95, "reports": 40})

        app = web.Application()
        app.router.add_get("/{number}", answer)
        servers.append(await aiohttp_server(app))
    return servers


async def screening_client(servers: list, tmp_path, aiohttp_client, *, deadline: float, screen_deadline: float):
    """A real server (SQLite file, engine, fetcher) whose sources are the sites ``servers``."""
    settings = Settings(region="US", deadline=deadline, screen_deadline=screen_deadline, db_path=tmp_path / "w.db")
    store = Store(tmp_path / "w.db")
    sources = [site_class(i)(SourceConfig(base_url=str(s.make_url("")).rstrip("/"))) for i, s in enumerate(servers)]
    engine = Engine(store=store, settings=settings, sources=sources)
    return await aiohttp_client(create_app(settings, store, engine))


@pytest.fixture
async def sites(aiohttp_server):
    hits: Counter[int] = Counter()

    async def hold(i: int, request: web.Request) -> None:
        hits[i] += 1
        if i == SILENT:
            await asyncio.sleep(30)

    return await start_sites(aiohttp_server, hold), hits


@pytest.fixture
async def client(sites, tmp_path, aiohttp_client):
    servers, _ = sites
    yield await screening_client(servers, tmp_path, aiohttp_client, deadline=3.0, screen_deadline=SCREEN_DEADLINE)


async def timed(client, path: str) -> tuple[float, object]:
    started = time.monotonic()
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    body = await resp.json() if resp.content_type == "application/json" else await resp.text()
    return time.monotonic() - started, body


def assert_blocked_with_silent_site_named(body: dict) -> None:
    assert body["action"] == "block" and body["verdict"] == "likely_spam", body
    assert body["complete"] is False
    assert [(m["source"], m["status"]) for m in body["missing"]] == [(f"site{SILENT}", "timeout")], body
    assert body["missing"][0]["reason"].startswith("no answer within")


async def test_a_silent_site_does_not_hide_what_the_others_said(client, sites) -> None:
    took, body = await timed(client, f"/api/v1/screen/{CALLER}")
    assert took < SCREEN_DEADLINE + 0.3, took
    assert_blocked_with_silent_site_named(body)
    assert "site" in body["reason"] and "reports" in body["reason"]


async def test_a_burst_of_screens_shares_one_lookup(client, sites) -> None:
    _, hits = sites
    burst = await asyncio.gather(*(timed(client, f"/api/v1/screen/{CALLER}") for _ in range(3)))
    took, late = await timed(client, f"/api/v1/screen/{CALLER}")  # the lookup is still waiting for the silent site
    for t, body in [*burst, (took, late)]:
        assert t < SCREEN_DEADLINE + 0.3, t
        assert_blocked_with_silent_site_named(body)
    assert hits == Counter({i: 1 for i in range(SITES)})  # each site asked once for all four


async def test_cnam_names_the_spam_that_has_arrived(client, sites) -> None:
    took, text = await timed(client, f"/cnam/{CALLER}")
    assert took < SCREEN_DEADLINE + 0.3, took
    assert text.startswith("SPAM "), text


async def test_once_stored_the_answers_decide_and_the_silent_site_is_still_named(client, sites) -> None:
    _, hits = sites
    await timed(client, f"/api/v1/screen/{CALLER}")
    await asyncio.sleep(3.2)  # the engine's own deadline passes: the seven answers are stored
    took, body = await timed(client, f"/api/v1/screen/{CALLER}")
    assert body["action"] == "block"
    # the silent site is asked again (its timeout is never cached) and still says nothing
    assert [m["source"] for m in body["missing"]] == [f"site{SILENT}"] and hits[SILENT] == 2
    assert all(hits[i] == 1 for i in range(SILENT))


class StalledStoreEngine(Engine):
    """The real engine whose store reads for a fallback answer hold the database thread past
    the screen's deadline, as a long import by the command line can."""

    def lookup_offline(self, inputs, region=None):  # type: ignore[override]
        time.sleep(SCREEN_DEADLINE)
        return super().lookup_offline(inputs, region)


async def test_what_has_arrived_counts_even_when_the_database_cannot_answer(sites, tmp_path, aiohttp_client) -> None:
    servers, _ = sites
    settings = Settings(region="US", deadline=3.0, screen_deadline=SCREEN_DEADLINE, db_path=tmp_path / "w.db")
    store = Store(tmp_path / "w.db")
    sources = [site_class(i)(SourceConfig(base_url=str(s.make_url("")).rstrip("/"))) for i, s in enumerate(servers)]
    client = await aiohttp_client(create_app(settings, store, StalledStoreEngine(store=store, settings=settings,
                                                                                 sources=sources)))
    took, body = await timed(client, f"/api/v1/screen/{CALLER}")
    assert took < SCREEN_DEADLINE + 0.3, took
    assert_blocked_with_silent_site_named(body)

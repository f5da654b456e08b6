"""A lookup batch writes once: the new numbers' facts, prefix answers, findings and the
robots.txt answers fetched on the way are saved in one transaction at the end of the batch,
never from inside the fetch tasks. Real aiohttp client against a real local server."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import Number, Status
from lookup.settings import Settings, SourceConfig
from scrapers.base import Page, Request, Source
from scrapers.localcallingguide_com import LocalCallingGuide

PAGES = Path(__file__).parents[1] / "pages" / "localcallingguide_com"
ROBOTS = "User-agent: *\nDisallow: /private/\n"


class Listed(Source):
    name = "listed"
    title = "Listed"
    reliability = 1.0

    def request(self, number: Number) -> Request:
        return Request(f"{self.base_url}/n/{number.e164}", expect="json")  # asks robots.txt first

    def parse(self, page: Page, number: Number):
        return self.finding(number, Status.FOUND, spam=0.9, reports=json.loads(page.body)["reports"], detail="listed")


async def site(aiohttp_server):
    async def number(request: web.Request) -> web.Response:
        return web.json_response({"reports": 3})

    async def prefix(request: web.Request) -> web.Response:
        return web.Response(body=(PAGES / "npa780_nxx809.xml").read_bytes(), content_type="text/xml")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text=ROBOTS)

    app = web.Application()
    app.router.add_get("/n/{e164}", number)
    app.router.add_get("/xmlprefix.php", prefix)
    app.router.add_get("/robots.txt", robots)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


class Commits:
    """Counts the transactions a store commits (its connection's COMMIT statements)."""

    def __init__(self, store: Store):
        self.count = 0
        store.conn.set_trace_callback(self._see)

    def _see(self, statement: str) -> None:
        if statement.strip().upper().startswith("COMMIT"):
            self.count += 1


def engine_for(base: str, store: Store) -> Engine:
    settings = Settings(
        region="CA",
        sources={
            "listed": SourceConfig(base_url=base, rate=100),
            "localcallingguide_com": SourceConfig(base_url=base, rate=100),
        },
    )
    sources = [Listed(settings.source("listed")), LocalCallingGuide(settings.source("localcallingguide_com"))]
    return Engine(store=store, settings=settings, sources=sources)


NUMBERS = ["+1 780 809 1234", "+1 780 809 9876", "+1 780 809 5555", "+1 780 809 4444", "+1 780 809 3333"]


async def test_a_batch_of_five_numbers_commits_once(aiohttp_server, tmp_path) -> None:
    base = await site(aiohttp_server)
    store = Store(tmp_path / "w.db")
    commits = Commits(store)
    results = await engine_for(base, store).lookup(NUMBERS)
    assert commits.count == 1
    assert all({f.source: f.status for f in r.findings} == {"listed": Status.FOUND, "localcallingguide_com": Status.FOUND}
               for r in results)
    # everything the batch learned is in the store
    keys = [r.number.e164 for r in results]
    assert set(store.get_numbers(keys)) == set(keys)
    assert set(store.fresh_findings(keys)) == set(keys)
    assert store.fresh_prefixes(["780-809"], "localcallingguide_com")
    assert store.recall_robots(base, 60) == ROBOTS


async def test_lookup_many_commits_once_per_batch(aiohttp_server, tmp_path) -> None:
    base = await site(aiohttp_server)
    store = Store(tmp_path / "w.db")
    engine = engine_for(base, store)
    step = engine.online_batch_size()
    inputs = [f"+1 780 809 {1000 + i}" for i in range(step * 2 + 1)]
    commits = Commits(store)
    await engine.lookup_many(inputs)
    assert commits.count == 3  # three batches; the numbers' facts go with the first


async def test_a_cached_lookup_writes_nothing(aiohttp_server, tmp_path) -> None:
    base = await site(aiohttp_server)
    store = Store(tmp_path / "w.db")
    engine = engine_for(base, store)
    await engine.lookup(NUMBERS)
    commits = Commits(store)
    await engine.lookup(NUMBERS)
    assert commits.count == 0

"""Per-prefix sources through the engine: one fetch per NPA-NXX per batch, the prefix cache,
and an unassigned prefix turning into spoofing evidence."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import Status
from lookup.settings import Settings, SourceConfig
from scrapers.localcallingguide_com import LocalCallingGuide

PAGES = Path(__file__).parents[1] / "pages" / "localcallingguide_com"


async def lcg_server(aiohttp_server, hits: list[str]):
    async def answer(request: web.Request) -> web.Response:
        hits.append(request.query_string)
        page = "npa780_nxx809.xml" if request.query.get("npa") == "780" else "unassigned.xml"
        return web.Response(body=(PAGES / page).read_bytes(), content_type="text/xml")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/xmlprefix.php", answer)
    app.router.add_get("/robots.txt", robots)
    return await aiohttp_server(app)


def engine_for(server, store: Store) -> Engine:
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(region="CA", sources={"localcallingguide_com": SourceConfig(base_url=base, rate=100)})
    return Engine(store=store, settings=settings, sources=[LocalCallingGuide(settings.source("localcallingguide_com"))])


async def test_one_fetch_per_prefix_and_cached_after(aiohttp_server) -> None:
    hits: list[str] = []
    server = await lcg_server(aiohttp_server, hits)
    store = Store()
    engine = engine_for(server, store)
    results = await engine.lookup(["+1 780 809 1234", "+1 780 809 9876"])
    assert len(hits) == 1
    for r in results:
        [f] = [f for f in r.findings if f.source == "localcallingguide_com"]
        assert f.status is Status.FOUND and f.facts.get("assigned") is True and f.e164 == r.number.e164
    again = await engine.lookup(["+1 780 809 5555"])
    assert len(hits) == 1, "the prefix answer is cached"
    assert again[0].findings[0].status is Status.FOUND
    offline = engine.lookup_offline(["+1 780 809 4444"])
    assert offline[0].findings[0].status is Status.FOUND


async def test_unassigned_prefix_is_evidence_of_spoofing(aiohttp_server) -> None:
    hits: list[str] = []
    server = await lcg_server(aiohttp_server, hits)
    engine = engine_for(server, Store())
    [r] = await engine.lookup(["+1 415 555 0199"])
    [f] = r.findings
    assert f.facts.get("assigned") is False
    assert any(e.signal == "unassigned_prefix" and e.weight > 0 for e in r.verdict.evidence)
    assert r.verdict.call_back.value == "no"

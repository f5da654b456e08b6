"""Issue 13's misreads, each through the real path: engine -> fetcher -> a local server on
127.0.0.1 answering in the sites' real shapes (the pages' origins are in their headers and in
tests/pages/<source>/SOURCE.md)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import Status
from lookup.settings import Settings, SourceConfig
from scrapers.nomorobo_com import NomoroboCom

PAGES = Path(__file__).parents[1] / "pages"


async def no_robots(request: web.Request) -> web.Response:
    return web.Response(status=404)


async def ask(aiohttp_server, app: web.Application, cls, number: str, **config):
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(deadline=3.0, sources={cls.name: SourceConfig(base_url=base, rate=200, enabled=True, **config)})
    engine = Engine(store=Store(), settings=settings, sources=[cls(settings.source(cls.name))])
    [result] = await engine.lookup([number])
    [finding] = [f for f in result.findings if f.source == cls.name]
    return finding


def nomorobo_app(served: str, page: str, hits: list[str]) -> web.Application:
    """Serves ``page`` at ``/lookup/<served>`` and redirects the other form of the number there."""

    async def lookup(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.match_info["n"] != served:
            raise web.HTTPMovedPermanently(f"/lookup/{served}")
        return web.Response(body=(PAGES / "nomorobo_com" / page).read_bytes(), content_type="text/html")

    app = web.Application()
    app.router.add_get("/robots.txt", no_robots)
    app.router.add_get("/lookup/{n}", lookup)
    return app


async def test_nomorobo_asks_for_the_ten_digits_and_reads_the_page_there(aiohttp_server) -> None:
    hits: list[str] = []
    finding = await ask(aiohttp_server, nomorobo_app("3157859930", "spam_2025.html", hits), NomoroboCom, "+1 315 785 9930")
    assert hits == ["/lookup/3157859930"]
    assert (finding.status, finding.detail, finding.categories) == (Status.FOUND, "Robocall", ("robocall",))


async def test_nomorobo_follows_a_redirect_to_the_dashed_form(aiohttp_server) -> None:
    hits: list[str] = []
    finding = await ask(aiohttp_server, nomorobo_app("315-785-9930", "spam_2020.html", hits), NomoroboCom, "+13157859930")
    assert hits == ["/lookup/3157859930", "/lookup/315-785-9930"]
    assert finding.status is Status.FOUND and finding.facts["markup"] == "2020"
    assert finding.url.endswith("/lookup/315-785-9930")


async def test_nomorobo_daily_limit_is_rate_limited_and_not_cached(aiohttp_server) -> None:
    hits: list[str] = []
    app = nomorobo_app("3157859930", "daily_limit_2025.html", hits)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(deadline=3.0, sources={"nomorobo_com": SourceConfig(base_url=base, rate=200, enabled=True)})
    engine = Engine(store=Store(), settings=settings, sources=[NomoroboCom(settings.source("nomorobo_com"))])
    [first] = await engine.lookup(["+13157859930"])
    [again] = await engine.lookup(["+13157859930"])
    assert [f.status for f in first.findings] == [Status.RATE_LIMITED]
    assert "daily lookup limit" in (first.findings[0].detail or "")
    assert len(hits) == 2, "a limit page is never cached as an answer"
    assert [f.status for f in again.findings] == [Status.RATE_LIMITED]

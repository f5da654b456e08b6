"""Issue 13's misreads, each through the real path: engine -> fetcher -> a local server on
127.0.0.1 answering in the sites' real shapes (the pages' origins are in their headers and in
tests/pages/<source>/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from db.store import Store
from lookup.engine import Engine
from lookup.models import EvidenceKind, Status
from lookup.settings import Settings, SourceConfig
from lookup.sync import import_fcc_files
from lookup.verdict import complaint_points
from scrapers.fcc_gov import FccGov
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


def fcc_app(hits: list[str]) -> web.Application:
    async def rows(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=(PAGES / "fcc_gov" / "found.json").read_bytes(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/resource/vakf-fz8e.json", rows)
    return app


async def test_a_cached_complaint_finding_still_counts_as_complaints(aiohttp_server, tmp_path) -> None:
    """The evidence kind survives the cache: the second lookup reads the store, not the site."""
    hits: list[str] = []
    server = await aiohttp_server(fcc_app(hits))
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(deadline=3.0, sources={"fcc_gov": SourceConfig(base_url=base, rate=200, enabled=True)})
    engine = Engine(store=Store(tmp_path / "c.db"), settings=settings, sources=[FccGov(settings.source("fcc_gov"))])
    [live] = await engine.lookup(["+1 866 410 0458"])
    [cached] = await engine.lookup(["+1 866 410 0458"])
    assert len(hits) == 1 and cached.findings[0].cached
    for result in (live, cached):
        [finding] = result.findings
        assert finding.evidence is EvidenceKind.COMPLAINTS
        [item] = [e for e in result.verdict.evidence if e.source == "fcc_gov"]
        assert (item.signal, item.weight) == ("complaints:fcc_gov", complaint_points(finding.spam))


FCC_EXPORT = Path(__file__).parents[1] / "data" / "fcc" / "unwanted_calls_export.csv"


def test_synced_fcc_data_counts_offline_as_the_ftc_data_does(tmp_path) -> None:
    """After `sync fcc`, `lookup --offline` shows the FCC complaints and the verdict counts them."""
    store = Store(tmp_path / "fcc.db")
    assert import_fcc_files(store, [FCC_EXPORT]).rows_added == 11
    settings = Settings(region="US")
    engine = Engine(store=store, settings=settings, sources=[FccGov(settings.source("fcc_gov"))])
    listed, quiet = engine.lookup_offline(["+1 866 410 0458", "+1 202 555 0143"])
    [finding] = listed.findings
    assert (finding.status, finding.reports, finding.evidence) == (Status.FOUND, 2, EvidenceKind.COMPLAINTS)
    assert finding.detail.startswith("2 FCC complaints in the synced data, latest 2016-05-25")
    assert "robocall" in finding.categories
    [item] = [e for e in listed.verdict.evidence if e.source == "fcc_gov"]
    assert item.signal == "complaints:fcc_gov" and item.weight > 0
    assert [f.status for f in quiet.findings] == [Status.NOT_FOUND]


def test_fcc_without_synced_data_adds_nothing_offline(tmp_path) -> None:
    settings = Settings(region="US")
    engine = Engine(store=Store(tmp_path / "empty.db"), settings=settings, sources=[FccGov(settings.source("fcc_gov"))])
    [result] = engine.lookup_offline(["+1 866 410 0458"])
    assert result.findings == ()


def test_cli_lookup_offline_shows_synced_fcc_complaints(tmp_path) -> None:
    """The README's promise: `sync fcc` then `lookup --offline` shows that number's complaints."""
    from typer.testing import CliRunner

    from lookup.cli import app

    db = str(tmp_path / "cli.db")
    cfg = tmp_path / "config.toml"
    cfg.write_text("")
    runner = CliRunner()
    synced = runner.invoke(app, ["sync", "fcc", "--file", str(FCC_EXPORT), "--db", db, "--config", str(cfg)])
    assert synced.exit_code == 0, synced.output
    shown = runner.invoke(app, ["lookup", "866-410-0458", "--offline", "--json", "--db", db, "--config", str(cfg)])
    assert shown.exit_code == 0, shown.output
    obj = json.loads(shown.stdout.splitlines()[0])
    assert {s["name"]: s["status"] for s in obj["sources"]}["fcc_gov"] == "found"
    assert any(r["signal"] == "complaints:fcc_gov" for r in obj["reasons"])

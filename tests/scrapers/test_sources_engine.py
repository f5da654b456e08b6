"""Every community/API source through the real path: engine -> fetcher -> local HTTP server
serving the recorded pages -> source.read. Also all sources at once for one number,
and the CLI's JSON for a number the recorded pages mark as spam on several sites."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app
from lookup.engine import Engine
from lookup.models import Level, SourceKind, Status
from lookup.settings import Settings, SourceConfig
from scrapers.base import Case
from scrapers.registry import source_classes

PAGES = Path(__file__).parents[1] / "pages"
CASES = [(cls, case) for cls in source_classes() for case in cls.CASES]  # every source in the registry


def page_app(routes: dict[str, tuple[Path, int, str]]) -> web.Application:
    """Serve ``routes[source] = (page, status, content type)`` for any path under /<source>/."""

    async def answer(request: web.Request) -> web.Response:
        source = request.match_info["source"]
        page, status, ctype = routes[source]
        mime, _, rest = ctype.partition(";")
        charset = rest.split("=", 1)[1].strip() if "charset=" in rest else None
        return web.Response(body=page.read_bytes(), status=status, content_type=mime.strip(), charset=charset)

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    app = web.Application()
    app.router.add_get("/robots.txt", robots)
    app.router.add_route("*", "/{source}/{tail:.*}", answer)
    app.router.add_route("*", "/{source}", answer)
    return app


def configs(base: str, names) -> dict[str, SourceConfig]:
    return {n: SourceConfig(base_url=f"{base}/{n}", rate=200, api_key="k", token="t", enabled=True,
                            options={f"base_url_{r}": f"{base}/{n}" for r in ("gb", "fr", "nz", "au")}) for n in names}


def served_here(case: Case, base: str) -> Case:
    """``case`` with a ``host`` fact (the site the answer came from) pointed at the local server."""
    facts = case.expect.get("facts")
    if not facts or "host" not in facts:
        return case
    return replace(case, expect={**case.expect, "facts": {**facts, "host": base}})


@pytest.mark.parametrize("cls,case", CASES, ids=[f"{cls.name}-{case.id}" for cls, case in CASES])
async def test_each_case_through_the_engine(aiohttp_server, cls, case) -> None:
    page = PAGES / cls.name / case.page
    server = await aiohttp_server(page_app({cls.name: (page, case.http_status, case.content_type)}))
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(deadline=3.0, sources=configs(base, [cls.name]))
    source = cls(settings.source(cls.name))
    engine = Engine(store=Store(), settings=settings, sources=[source])
    [result] = await engine.lookup([case.number])
    [finding] = [f for f in result.findings if f.source == cls.name]
    assert not served_here(case, f"{base}/{cls.name}").mismatches(finding)
    if source.kind is SourceKind.PREFIX:
        number = engine.normalize([case.number])[0]
        cached = bool(engine.store.fresh_prefixes([source.cache_key(number)], source.name))
    else:
        cached = bool(engine.store.fresh_findings([finding.e164]))
    assert cached is finding.status.is_definite, "definite answers are cached, nothing wrong is"


SPAM_SITES = {
    "shouldianswer_com": ("spam.html", 200),
    "nomorobo_com": ("spam_2020.html", 200),
    "notes800_com": ("spam.html", 200),
    "phonespamfilter_com": ("spam.txt", 200),
    "whocallsme_com": ("blocked.html", 200),  # a bot wall on one site
}


def spam_routes() -> dict[str, tuple[Path, int, str]]:
    routes = {}
    for name, (page, status) in SPAM_SITES.items():
        ctype = "text/plain; charset=utf-8" if page.endswith(".txt") else "text/html; charset=utf-8"
        routes[name] = (PAGES / name / page, status, ctype)
    return routes


async def test_all_sources_at_once_for_one_number(aiohttp_server) -> None:
    server = await aiohttp_server(page_app(spam_routes()))
    base = str(server.make_url("")).rstrip("/")
    settings = Settings(deadline=3.0, sources=configs(base, SPAM_SITES))
    sources = [cls(settings.source(cls.name)) for cls in source_classes() if cls.name in SPAM_SITES]
    engine = Engine(store=Store(), settings=settings, sources=sources)
    [result] = await engine.lookup(["+1 206 555 0147"], deadline=3.0)
    status = {f.source: f.status for f in result.findings}
    assert status["whocallsme_com"] is Status.BLOCKED
    assert all(s is Status.FOUND for n, s in status.items() if n != "whocallsme_com")
    assert result.verdict.level is Level.LIKELY_SPAM
    per_source = {e.source for e in result.verdict.evidence if e.signal.startswith("source:")}
    assert per_source == {"shouldianswer_com", "nomorobo_com", "notes800_com", "phonespamfilter_com"}


@pytest.fixture
def spam_server(thread_server):
    """The same pages from a server in its own thread, for the synchronous CLI runner."""
    return thread_server(page_app(spam_routes()))


def test_cli_json_for_a_number_spam_on_several_sites(spam_server, tmp_path) -> None:
    cfg = tmp_path / "config.toml"
    lines = []
    for cls in source_classes():
        if cls.name in SPAM_SITES:
            lines += [f"[sources.{cls.name}]", f'base_url = "{spam_server}/{cls.name}"', "rate = 200", ""]
        else:
            lines += [f"[sources.{cls.name}]", "enabled = false", ""]
    cfg.write_text("\n".join(lines))
    result = CliRunner().invoke(app, ["lookup", "+1 206 555 0147", "--json", "--config", str(cfg), "--deadline", "5"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.splitlines()[0])
    assert obj["verdict"] == "likely_spam"
    statuses = {s["name"]: s["status"] for s in obj["sources"]}
    assert statuses["whocallsme_com"] == "blocked"
    reasons = {r["source"] for r in obj["reasons"] if r["signal"].startswith("source:")}
    assert reasons == {"shouldianswer_com", "nomorobo_com", "notes800_com", "phonespamfilter_com"}
    assert "no answer from 1 source(s): whocallsme_com (blocked)" in result.stderr
    text = CliRunner().invoke(app, ["lookup", "+1 206 555 0147", "--config", str(cfg), "--offline"]).stdout
    assert "likely spam" in text and "nomorobo_com:" in text


async def test_deep_fetches_the_second_comment_page(aiohttp_server) -> None:
    hits: list[str] = []
    first = (PAGES / "notes800_com" / "many_pages.html").read_bytes()
    second = (PAGES / "notes800_com" / "spam.html").read_bytes()

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.path)
        body = second if request.path.endswith("/2") else first
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def no_robots(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/robots.txt", no_robots)
    app.router.add_get("/{tail:.*}", answer)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    from scrapers.notes800_com import Notes800Com

    settings = Settings(deadline=3.0, sources={"notes800_com": SourceConfig(base_url=base, rate=200)})
    engine = Engine(store=Store(), settings=settings, sources=[Notes800Com(settings.source("notes800_com"))])
    [shallow] = await engine.lookup(["+1 212 555 0100"])
    assert hits == ["/Phone.aspx/1-212-555-0100"]
    [deep] = await engine.lookup(["+1 212 555 0100"], deep=True, refresh=True)
    assert hits[-1] == "/Phone.aspx/1-212-555-0100/2"
    assert len(deep.findings[0].comments) > len(shallow.findings[0].comments)

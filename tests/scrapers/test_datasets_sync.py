"""``sync ftc`` / ``sync fcc`` and the FCC and LCG lookups through the real fetcher and a local server.

The servers are real aiohttp servers on 127.0.0.1 (the ``web_site`` fixture of this folder's
conftest): they serve the recorded files, 404s, HTML pages, walls and 304s.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from aiohttp import web

from db.store import Store
from lookup.models import Number, Status
from lookup.numbers import normalize_number
from lookup.settings import Settings, SourceConfig
from lookup.sync import sync_fcc, sync_ftc
from scrapers.base import DatasetView, FetchError
from scrapers.fcc_gov import FccGov
from scrapers.ftc_gov import FtcGov
from scrapers.http import Fetcher
from scrapers.localcallingguide_com import LocalCallingGuide

ROOT = Path(__file__).resolve().parents[2]
FTC = ROOT / "tests" / "data" / "ftc"
FCC = ROOT / "tests" / "data" / "fcc"
PAGES = ROOT / "tests" / "pages"
TODAY = date(2026, 11, 18)  # a Wednesday
FILES = "/sites/default/files/DNC_Complaint_Numbers_{}.csv"
HTML_404 = (FTC / "DNC_Complaint_Numbers_2026-11-14.csv").read_text()
WALL = (PAGES / "fcc_gov" / "captcha.html").read_text()
TOKEN = "s3cret-app-token"


def number(raw: str) -> Number:
    return normalize_number(raw, "US", details=False)


def settings_for(base: str, name: str, **extra: object) -> Settings:
    return Settings(sources={name: SourceConfig(base_url=base, **extra)})  # type: ignore[arg-type]


def csv_file(path: Path, etag: str | None = None):
    body = path.read_bytes()

    async def handler(request: web.Request) -> web.Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": "Wed, 18 Nov 2026 06:00:00 GMT"} if etag else {}
        return web.Response(body=body, content_type="text/csv", headers=headers)

    return handler


def page(text: str, status: int = 200, content_type: str = "text/html"):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=text, status=status, content_type=content_type)

    return handler


def ftc_days(tmp_path: Path) -> dict[str, object]:
    """Thu and Fri files, a holiday 404 on Monday, an HTML page on Tuesday, Wednesday's file."""
    wednesday = tmp_path / "wednesday.csv"
    wednesday.write_text(
        "Company_Phone_Number,Created_Date,Violation_Date,Consumer_City,Consumer_State,Consumer_Area_Code,"
        "Subject,Recorded_Message_Or_Robocall\n"
        "2025550143,2026-11-18 09:00:00,2026-11-18 08:40:00,Akron,Ohio,330,Warranties & protection plans,Y\n",
        encoding="utf-8",
    )
    return {
        FILES.format("2026-11-12"): csv_file(FTC / "DNC_Complaint_Numbers_2026-11-13.csv"),
        FILES.format("2026-11-13"): csv_file(FTC / "DNC_Complaint_Numbers_2026-11-16.csv", '"fri"'),
        FILES.format("2026-11-16"): page("<html><body>Page not found</body></html>", 404),
        FILES.format("2026-11-17"): page(HTML_404),
        FILES.format("2026-11-18"): csv_file(wednesday, '"wed-1"'),
    }


async def test_sync_ftc_downloads_each_day_once_and_rechecks_recent_ones_with_etags(
    web_site, fast_settings, tmp_path: Path
) -> None:
    site = await web_site(ftc_days(tmp_path))
    store = Store(tmp_path / "s.db")
    settings = settings_for(site.base, "ftc_gov")
    seen: list[tuple[str, int, int | None]] = []
    async with Fetcher(fast_settings) as fetcher:
        first = await sync_ftc(store, settings, days=7, fetcher=fetcher, today=TODAY,
                               progress=lambda *args: seen.append(args))
    assert (first.files_read, first.rows_added, first.rows_skipped) == (3, 10, 3) and first.ok
    assert first.days_without_file == ["2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17"]
    assert not any("2026-11-14" in p or "2026-11-15" in p for p in site.hits), "weekends are not asked for"
    assert seen[-1] == ("2026-11-18", 7, 7) and len(seen) == 7
    state = store.get_sync_state("ftc")
    assert state.last_date == "2026-11-18" and state.rows == 10
    assert state.state["days"]["2026-11-18"]["etag"] == '"wed-1"'
    assert state.state["days"]["2026-11-17"]["status"] == "none"

    async with Fetcher(fast_settings) as fetcher:
        again = await sync_ftc(store, settings, days=7, fetcher=fetcher, today=TODAY)
    assert (again.files_read, again.rows_added) == (0, 0) and again.ok
    assert again.unchanged == ["2026-11-12", "2026-11-13", "2026-11-18"]
    assert site.hits[FILES.format("2026-11-12")] == 1 and site.hits[FILES.format("2026-11-13")] == 1
    assert site.hits[FILES.format("2026-11-18")] == 2
    assert site.log[-1].path == FILES.format("2026-11-18") and site.log[-1].headers["If-None-Match"] == '"wed-1"'
    assert site.hits[FILES.format("2026-11-17")] == 2, "a recent day without a file is asked again"

    n = number("2025550143")
    view = DatasetView(store.get_sync_state("ftc"), store.complaint_summaries([n.e164], "ftc"), TODAY)
    found = FtcGov().local_findings([n], view)["+12025550143"]
    assert found.status is Status.FOUND and found.reports == 4 and found.last_reported == "2026-11-18"


async def test_a_bot_wall_instead_of_a_file_stops_the_sync_and_is_not_no_file(
    web_site, fast_settings, tmp_path: Path
) -> None:
    site = await web_site({
        FILES.format("2026-11-17"): page(WALL),
        FILES.format("2026-11-18"): csv_file(FTC / "DNC_Complaint_Numbers_2026-11-13.csv"),
    })
    store = Store()
    async with Fetcher(fast_settings) as fetcher:
        result = await sync_ftc(store, settings_for(site.base, "ftc_gov"), days=2, fetcher=fetcher, today=TODAY)
    assert result.failures == [("2026-11-17", "blocked: Cloudflare 'Just a moment' challenge")]
    assert result.days_without_file == [] and site.hits[FILES.format("2026-11-18")] == 0
    assert "2026-11-17" not in store.get_sync_state("ftc").state["days"]


@pytest.mark.parametrize(
    ("handler", "stops", "why"),
    [
        (page(WALL, 403), True, "blocked"),
        (page("busy", 500, "text/plain"), False, "error: HTTP 500"),
    ],
    ids=["forbidden", "server-error"],
)
async def test_fetch_failures_are_reported_per_day(
    web_site, fast_settings, handler, stops: bool, why: str
) -> None:
    site = await web_site({
        FILES.format("2026-11-17"): handler,
        FILES.format("2026-11-18"): csv_file(FTC / "DNC_Complaint_Numbers_2026-11-13.csv"),
    })
    store = Store()
    async with Fetcher(fast_settings) as fetcher:
        result = await sync_ftc(store, settings_for(site.base, "ftc_gov"), days=2, fetcher=fetcher, today=TODAY)
    assert result.failures[0][0] == "2026-11-17" and result.failures[0][1].startswith(why)
    assert (result.files_read == 0) is stops
    assert "2026-11-17" not in store.get_sync_state("ftc").state["days"]


async def test_sync_ftc_with_files_imports_them_without_the_network(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", "ftc_gov")  # nothing listens there
    result = await sync_ftc(Store(), settings, files=[FTC / "DNC_Complaint_Numbers_2026-11-13.csv"])
    assert (result.files_read, result.rows_added) == (1, 6)


# ---------------------------------------------------------------- FCC bulk


def soda_page(rows: list[str]) -> str:
    return "id,issue_date,issue,caller_id_number,type_of_call_or_messge\n" + "".join(r + "\n" for r in rows)


async def test_sync_fcc_takes_the_export_then_pages_since_the_latest_date(web_site, fast_settings) -> None:
    pages = {
        "0": soda_page(['"3000001","2016-05-26T00:00:00.000","Robocalls","202-555-0143","Prerecorded Voice"',
                        '"3000002","2016-05-27T00:00:00.000","Robocalls","202-555-0143","Prerecorded Voice"']),
        "2": soda_page(['"3000003","2016-05-28T00:00:00.000","Unwanted Calls","312-555-0187","Live Voice"']),
    }

    async def resource(request: web.Request) -> web.Response:
        assert request.query["$where"] == "issue_date >= '2016-04-25T00:00:00.000'"
        assert request.query["$order"] == ":id" and request.query["$limit"] == "2"
        return web.Response(text=pages.get(request.query["$offset"], soda_page([])), content_type="text/csv")

    site = await web_site({
        "/api/views/vakf-fz8e/rows.csv": csv_file(FCC / "unwanted_calls_export.csv", '"export-1"'),
        "/resource/vakf-fz8e.csv": resource,
    })
    store = Store()
    settings = settings_for(site.base, "fcc_gov", app_token=TOKEN)
    async with Fetcher(fast_settings) as fetcher:
        first = await sync_fcc(store, settings, fetcher=fetcher)
        assert (first.files_read, first.rows_added, first.rows_skipped) == (1, 11, 1) and first.ok
        assert store.get_sync_state("fcc").last_date == "2016-05-25"
        assert site.log[-1].query == {"accessType": "DOWNLOAD"}
        assert site.log[-1].headers["X-App-Token"] == TOKEN
        later = await sync_fcc(store, settings, fetcher=fetcher, page_rows=2)
    assert (later.files_read, later.rows_added) == (2, 3) and later.ok
    assert [hit.query["$offset"] for hit in site.log if hit.path.startswith("/resource")] == ["0", "2"]
    assert store.get_sync_state("fcc").last_date == "2016-05-28"
    assert TOKEN not in repr(store.get_sync_state("fcc"))


async def test_sync_fcc_reports_an_html_page_instead_of_the_export(web_site, fast_settings) -> None:
    site = await web_site({"/api/views/vakf-fz8e/rows.csv": page(HTML_404)})
    async with Fetcher(fast_settings) as fetcher:
        result = await sync_fcc(Store(), settings_for(site.base, "fcc_gov"), fetcher=fetcher)
    assert result.failures == [("export", "not the FCC complaints CSV: an HTML or XML page")]


# ---------------------------------------------------------------- per-number lookups through the fetcher


async def ask(fetcher: Fetcher, source, raw: str):
    n = number(raw)
    try:
        return source.read(await fetcher.fetch(source.request(n)), n)
    except FetchError as exc:
        return source.failure(n, exc.status, exc.reason)


async def test_fcc_lookup_through_the_fetcher(web_site, fast_settings) -> None:
    found = (PAGES / "fcc_gov" / "found.json").read_text()

    async def resource(request: web.Request) -> web.Response:
        if request.query.get("caller_id_number") == "866-410-0458":
            return web.Response(text=found, content_type="application/json")
        if request.query.get("caller_id_number") == "312-555-0187":
            return web.Response(text=WALL, content_type="text/html")
        return web.Response(text="[]", content_type="application/json")

    site = await web_site({"/resource/vakf-fz8e.json": resource})
    source = FccGov(SourceConfig(base_url=site.base, app_token=TOKEN))
    async with Fetcher(fast_settings) as fetcher:
        hit = await ask(fetcher, source, "+1 866 410 0458")
        miss = await ask(fetcher, source, "202-555-0123")
        walled = await ask(fetcher, source, "312-555-0187")
    assert (hit.status, hit.reports, miss.status, walled.status) == (Status.FOUND, 3, Status.NOT_FOUND, Status.BLOCKED)
    sent = site.log[0]
    assert sent.query == {"caller_id_number": "866-410-0458", "$order": "issue_date DESC", "$limit": "200"}
    assert sent.headers["X-App-Token"] == TOKEN
    assert "/robots.txt" not in site.hits, "an API meant for programs is not a crawl"
    for finding in (hit, miss, walled):
        assert TOKEN not in repr(finding)


async def test_lcg_lookup_through_the_fetcher_honours_robots(web_site, fast_settings) -> None:
    real = (PAGES / "localcallingguide_com" / "npa780_nxx809.xml").read_text()

    async def xmlprefix(request: web.Request) -> web.Response:
        assert (request.query["npa"], request.query["nxx"]) == ("780", "809")
        return web.Response(text=real, content_type="text/xml")

    site = await web_site({"/xmlprefix.php": xmlprefix})
    source = LocalCallingGuide(SourceConfig(base_url=site.base))
    async with Fetcher(fast_settings) as fetcher:
        got = await ask(fetcher, source, "780-809-1234")
    assert got.status is Status.FOUND and got.facts["company"] == "Distributel Communications Ltd-AB"
    assert site.hits["/robots.txt"] == 1

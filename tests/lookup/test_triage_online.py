"""Triage with the network: which numbers are worth a request, in what order, how many per
run, and batches that keep the sites' pace. Real aiohttp client against real local servers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from aiohttp import web
from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app
from lookup.engine import Engine
from lookup.models import ListEntry, ListKind, Number, Status
from lookup.settings import Settings, SourceConfig
from lookup.triage import DEFAULT_ONLINE_LIMIT, triage
from scrapers.base import Page, Request, Source

# (number, silent missed calls, contact name); times are hours apart, the later rows more recent
CALLERS = [
    ("+12025550101", 3, None),
    ("+12025550102", 2, None),
    ("+12025550103", 1, None),
    ("+12025550104", 1, None),  # the most recent single call
    ("+12025550105", 2, "Pharmacy"),  # a contact: allowed whatever the sites say
    ("+12025550106", 2, None),  # blocked by the user below
    ("", 2, None),  # withheld
]


def write_log(path: Path) -> Path:
    rows, t = [], 1_790_000_000_000
    for number, calls, name in CALLERS:
        for _ in range(calls):
            t += 3_600_000
            rows.append(f'<call number="{number}" duration="0" date="{t}" type="3" presentation="{1 if number else 2}"'
                        f' contact_name="{name or "(Unknown)"}" />')
    path.write_text(f"<?xml version='1.0' ?><calls count='{len(rows)}'>{''.join(rows)}</calls>")
    return path


class CountedSource(Source):
    """A per-number JSON source at ``{base}/{e164}``: every number has 12 spam reports."""

    name = "counted"
    title = "Counted"
    reliability = 1.0

    def request(self, number: Number) -> Request:
        return Request(f"{self.base_url}/{number.e164}", expect="json", robots=False)

    def parse(self, page: Page, number: Number):
        data = json.loads(page.body)
        return self.finding(number, Status.FOUND, spam=0.9, reports=data["reports"], detail="listed")


def engine_for(base: str, store: Store, rate: float = 200.0, deadline: float = 3.0) -> Engine:
    settings = Settings(deadline=deadline, sources={"counted": SourceConfig(base_url=base, rate=rate)})
    return Engine(store=store, settings=settings, sources=[CountedSource(settings.source("counted"))])


def store_at(path: Path) -> Store:
    store = Store(path)
    store.add_list_entries([ListEntry("+12025550106", ListKind.BLOCK, reason="mine", origin="user")])
    return store


async def run_triage(engine: Engine, log: Path, **kwargs):
    return await triage(engine, [log], **kwargs)


async def test_only_numbers_worth_a_request_are_asked(counting_site, tmp_path) -> None:
    base, hits, _ = counting_site
    store = store_at(tmp_path / "w.db")
    report = await run_triage(engine_for(base, store), write_log(tmp_path / "calls.xml"))
    assert dict(hits) == {"+12025550101": 1, "+12025550102": 1, "+12025550103": 1, "+12025550104": 1}
    assert (report.looked_up_online, report.left_offline) == (4, 0)
    by_number = {r.group.key: r.result for r in report.rows}
    asked = by_number["+12025550101"]
    assert [(f.source, f.status, f.reports) for f in asked.findings] == [("counted", Status.FOUND, 12)]
    assert by_number["+12025550105"].verdict.level.value == "allowed"
    assert by_number["+12025550106"].verdict.level.value == "blocked"
    # asked again: every answer is cached, so nothing goes out
    again = await run_triage(engine_for(base, store), tmp_path / "calls.xml")
    assert sum(hits.values()) == 4 and again.looked_up_online == 0
    assert [f.cached for f in {r.group.key: r.result for r in again.rows}["+12025550101"].findings] == [True]


async def test_the_limit_takes_the_most_silent_calls_first_and_the_next_run_goes_on(counting_site, tmp_path) -> None:
    base, hits, _ = counting_site
    store = store_at(tmp_path / "w.db")
    log = write_log(tmp_path / "calls.xml")
    asked = []
    for _ in range(5):
        before = set(hits)
        report = await run_triage(engine_for(base, store), log, online_limit=1)
        asked.append(sorted(set(hits) - before))
        assert report.looked_up_online == len(asked[-1])
    # 3 calls, 2 calls; then of the single calls the most recent first; then nothing is left
    assert asked == [["+12025550101"], ["+12025550102"], ["+12025550104"], ["+12025550103"], []]
    assert all(n == 1 for n in hits.values())


async def test_limit_zero_and_offline_ask_nothing(counting_site, tmp_path) -> None:
    base, hits, _ = counting_site
    log = write_log(tmp_path / "calls.xml")
    zero = await run_triage(engine_for(base, store_at(tmp_path / "a.db")), log, online_limit=0)
    offline = await run_triage(engine_for(base, store_at(tmp_path / "b.db")), log, offline=True)
    assert not hits
    assert (zero.looked_up_online, zero.left_offline) == (0, 4)
    assert (offline.looked_up_online, offline.left_offline) == (0, 0)


async def test_batches_share_one_pace_and_fit_the_deadline(counting_site, tmp_path) -> None:
    """At 5 requests a second with 1.5 s per batch, two numbers fit a batch. Requests keep
    the 0.2 s schedule from one batch to the next (one pacer for the whole run), and none
    times out: batches are sized so the slowest source finishes them."""
    base, hits, times = counting_site
    engine = engine_for(base, store_at(tmp_path / "w.db"), rate=5.0, deadline=1.5)
    assert engine.online_batch_size() == 2
    report = await run_triage(engine, write_log(tmp_path / "calls.xml"))
    assert sum(hits.values()) == 4
    # the k-th request cannot leave before k turns of 0.2 s (arrival jitter only delays)
    offsets = [t - times[0] for t in times]
    assert all(offset >= k * 0.2 * 0.9 for k, offset in enumerate(offsets)), offsets
    statuses = {r.group.key: [f.status for f in r.result.findings] for r in report.rows if r.group.key}
    assert all(s == [Status.FOUND] for k, s in statuses.items() if k in hits)


class HungSource(CountedSource):
    name = "hung"


async def test_a_site_that_never_answers_stops_costing_every_batch_its_deadline(counting_site, aiohttp_server, tmp_path) -> None:
    """Four numbers, a batch each (0.4 s deadline). The hung site leaves three requests in a row
    unanswered and is then paused: the last batch does not wait for it."""
    base, hits, _ = counting_site
    hung_hits: Counter[str] = Counter()
    release = asyncio.Event()

    async def never(request: web.Request) -> web.Response:
        hung_hits[request.match_info["number"]] += 1
        await release.wait()
        return web.json_response({"reports": 1})

    hung_app = web.Application()
    hung_app.router.add_get("/{number}", never)
    hung = await aiohttp_server(hung_app)
    hung_base = str(hung.make_url("")).rstrip("/")
    settings = Settings(deadline=0.4, sources={"counted": SourceConfig(base_url=base, rate=200),
                                               "hung": SourceConfig(base_url=hung_base, rate=200)})
    engine = Engine(store=store_at(tmp_path / "w.db"), settings=settings,
                    sources=[CountedSource(settings.source("counted")), HungSource(settings.source("hung"))])
    assert engine.online_batch_size() == 1
    loop = asyncio.get_running_loop()
    start = loop.time()
    report = await run_triage(engine, write_log(tmp_path / "calls.xml"))
    elapsed = loop.time() - start
    release.set()
    assert sum(hits.values()) == 4 and sum(hung_hits.values()) == 3
    assert elapsed < 3 * 0.4 + 0.3, elapsed  # four full deadlines would be 1.6 s
    reasons = [f.detail for r in report.rows for f in r.result.findings if f.source == "hung"]
    assert sum("to 3 requests in a row; not asked again" in (d or "") for d in reasons) == 1
    assert sum("no answer" in (d or "") for d in reasons) == 4


def test_batch_size_follows_the_slowest_enabled_source(tmp_path) -> None:
    def size(rates, configured, **kw):
        settings = Settings(deadline=configured, sources={f"s{i}": SourceConfig(base_url="http://127.0.0.1:9", rate=r)
                                                        for i, r in enumerate(rates)})
        sources = []
        for i in range(len(rates)):
            cls = type(f"S{i}", (CountedSource,), {"name": f"s{i}"})
            sources.append(cls(settings.source(f"s{i}")))
        return Engine(store=Store(), settings=settings, sources=sources).online_batch_size(**kw)

    assert size([1.0], 4.0) == 3  # requests by 1, 2, 3 s at the latest; the last has a second to answer
    assert size([1.0, 0.5], 4.0) == 1  # the 0.5/s site sets the pace
    assert size([0.5], 6.0) == 2
    assert size([0.5], 1.0) == 1  # never less than one
    assert size([200.0], 4.0) == 25  # never more than a batch of 25
    assert size([], 4.0) == 25
    assert size([1.0], 4.0, deadline=9.0) == 8  # triage --deadline wins over the configured one


def test_cli_default_limit_is_the_documented_one() -> None:
    import typer.main

    command = typer.main.get_command(app).commands["triage"]  # type: ignore[attr-defined]
    [option] = [p for p in command.params if p.name == "online_limit"]
    assert option.default == DEFAULT_ONLINE_LIMIT


def test_cli_triage_online_with_a_real_source_and_a_limit(shouldianswer, tmp_path) -> None:
    hits, cfg = shouldianswer(rate=200)
    log = write_log(tmp_path / "calls.xml")
    args = ["triage", str(log), "--json", "--config", str(cfg), "--db", str(tmp_path / "w.db")]
    first = CliRunner().invoke(app, [*args, "--online-limit", "3"])
    assert first.exit_code == 0, first.output
    assert "looked up 3 numbers online; 2 more were judged from stored data only" in first.stderr
    objs = {o["e164"]: o for o in map(json.loads, first.stdout.splitlines()) if o.get("e164")}
    asked = objs["+12025550101"]
    assert [(s["name"], s["status"]) for s in asked["sources"] if s["name"] == "shouldianswer_com"] == [
        ("shouldianswer_com", "found")
    ]
    assert asked["verdict"] in ("suspicious", "likely_spam")
    assert hits["robots"] == 1 and sum(n for p, n in hits.items() if p != "robots") == 3
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "judged from stored data only" not in second.stderr
    assert sum(n for p, n in hits.items() if p != "robots") == 5 and hits["robots"] == 1

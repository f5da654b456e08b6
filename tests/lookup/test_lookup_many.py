"""Looking up more numbers than one deadline can serve at the sites' polite rates: batches
through one session, each distinct number asked once, cached numbers answered at once, results
in input order. Real aiohttp client against real local servers."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app
from lookup.engine import Engine
from lookup.models import Number, Status
from lookup.settings import Settings, SourceConfig
from scrapers.base import Page, Request, Source


class Listed(Source):
    name = "listed"
    title = "Listed"
    reliability = 1.0

    def request(self, number: Number) -> Request:
        return Request(f"{self.base_url}/{number.e164}", expect="json", robots=False)

    def parse(self, page: Page, number: Number):
        return self.finding(number, Status.FOUND, spam=0.9, reports=json.loads(page.body)["reports"], detail="listed")


def engine_for(base: str, store: Store | None = None, rate: float = 5.0, deadline: float = 1.5) -> Engine:
    settings = Settings(deadline=deadline, sources={"listed": SourceConfig(base_url=base, rate=rate)})
    return Engine(store=store or Store(), settings=settings, sources=[Listed(settings.source("listed"))])


INPUTS = ["+1 202 555 0101", "(202) 555-0102", "hello", "+1 202 555 0103", "202.555.0101", "+1 202 555 0104",
          "+1 202 555 0105"]


async def test_every_number_is_answered_in_input_order_each_asked_once(counting_site) -> None:
    base, hits, times = counting_site
    engine = engine_for(base)
    assert engine.online_batch_size() == 2  # 5 requests a second, 1.5 s a batch
    done: list[tuple[int, int]] = []
    results = await engine.lookup_many(INPUTS, progress=lambda d, t: done.append((d, t)))
    assert [r.input for r in results] == INPUTS
    assert results[2].error and not results[2].ok
    found = [r for r in results if r.ok]
    assert all([(f.source, f.status) for f in r.findings] == [("listed", Status.FOUND)] for r in found)
    assert results[0].number.e164 == results[4].number.e164 == "+12025550101"
    assert dict(hits) == {f"+1202555010{i}": 1 for i in range(1, 6)}  # the repeated number once
    assert done == [(0, 5), (2, 5), (4, 5), (5, 5)]
    # one pace across batches: the k-th request cannot leave before k turns of 0.2 s
    assert all(t - times[0] >= k * 0.2 * 0.9 for k, t in enumerate(times)), times


async def test_one_batch_at_once_would_have_timed_out(counting_site) -> None:
    """The same numbers through plain lookup(): one deadline cannot hold them at this rate."""
    base, hits, _ = counting_site
    results = await engine_for(base, rate=2.0, deadline=1.0).lookup(INPUTS)
    statuses = [f.status for r in results if r.ok for f in r.findings]
    assert Status.TIMEOUT in statuses


async def test_cached_numbers_are_answered_without_a_batch(counting_site, tmp_path) -> None:
    base, hits, _ = counting_site
    store = Store(tmp_path / "w.db")
    await engine_for(base, store).lookup_many(INPUTS[:3])
    assert sum(hits.values()) == 2
    done: list[tuple[int, int]] = []
    results = await engine_for(base, store).lookup_many(INPUTS, progress=lambda d, t: done.append((d, t)))
    assert sum(hits.values()) == 5 and done == [(0, 3), (2, 3), (3, 3)]
    assert [f.cached for f in results[0].findings] == [True] and [f.cached for f in results[3].findings] == [False]


async def test_refresh_asks_every_number_again(counting_site, tmp_path) -> None:
    base, hits, _ = counting_site
    store = Store(tmp_path / "w.db")
    await engine_for(base, store).lookup_many(INPUTS)
    await engine_for(base, store).lookup_many(INPUTS, refresh=True)
    assert dict(hits) == {f"+1202555010{i}": 2 for i in range(1, 6)}


def test_cli_lookup_of_many_numbers_goes_in_batches(shouldianswer) -> None:
    hits, cfg = shouldianswer(rate=2)
    cfg.write_text("deadline = 2\n" + cfg.read_text())  # per batch (--deadline would bound the whole command)
    numbers = "\n".join(f"+1 206 555 01{i:02d}" for i in range(5)) + "\n"
    r = CliRunner().invoke(app, ["lookup", "-", "--json", "--config", str(cfg)], input=numbers)
    assert r.exit_code == 0, r.output
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["input"] for o in objs] == numbers.splitlines()
    assert all([s["status"] for s in o["sources"] if s["name"] == "shouldianswer_com"] == ["found"] for o in objs)
    assert "no answer from" not in r.stderr
    assert sum(n for p, n in hits.items() if p != "robots") == 5


async def test_a_single_batch_reports_its_progress_too(counting_site) -> None:
    base, hits, _ = counting_site
    done: list[tuple[int, int]] = []
    results = await engine_for(base).lookup_many(INPUTS[:2], progress=lambda d, t: done.append((d, t)))
    assert done == [(0, 2), (2, 2)] and [r.input for r in results] == INPUTS[:2]
    assert sum(hits.values()) == 2

"""Screening a burst of calls (issue 17): three calls from three different numbers ring at once.
Eight sites on 127.0.0.1, each its own host at the polite rate of one request a second, all
flagging every number; one of them answers only after the screen's deadline.

Each screen decides at its deadline from what has arrived, says that it did and names the late
site; the lookups the deadline cut short go on and store what arrives, so a redial is decided
from the stored findings at once, asking no site again. The server's fetcher lets a site that
has been idle take the burst's three requests at once (``LIVE_BURST``) instead of queueing the
second and third call one and two seconds behind the first, past their deadline; a fourth
request in that second still waits its turn.

Real aiohttp client and servers, a real SQLite file, the real engine and fetcher."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import pytest
from aiohttp import web

from lookup.server.service import LIVE_BURST
from tests.server.test_screen_arrived import SITES, screening_client, start_sites  # eight sites, one request a second

CALLERS = ["+12025550171", "+12025550172", "+12025550173"]
LATE_CALLER = "+12025550174"
LATE = SITES - 1  # answers after the screen's deadline, well within the lookup's own
SCREEN_DEADLINE = 1.5
LATE_BY = 2.0
ENGINE_DEADLINE = 4.0


@pytest.fixture
async def sites(aiohttp_server):
    asked: dict[int, list[tuple[float, str]]] = defaultdict(list)  # site -> (when, number) it was asked

    async def hold(i: int, request: web.Request) -> None:
        asked[i].append((time.monotonic(), request.match_info["number"]))
        if i == LATE:
            await asyncio.sleep(LATE_BY)

    return await start_sites(aiohttp_server, hold), asked


@pytest.fixture
async def client(sites, tmp_path, aiohttp_client):
    servers, _ = sites
    yield await screening_client(servers, tmp_path, aiohttp_client, deadline=ENGINE_DEADLINE,
                                 screen_deadline=SCREEN_DEADLINE)


async def screen(client, number: str) -> tuple[float, dict]:
    started = time.monotonic()
    resp = await client.get(f"/api/v1/screen/{number}")
    assert resp.status == 200, await resp.text()
    return time.monotonic() - started, await resp.json()


async def test_a_burst_of_three_callers_is_decided_on_what_arrived_and_a_redial_at_once(client, sites) -> None:
    _, asked = sites
    burst = await asyncio.gather(*(screen(client, n) for n in CALLERS))
    for number, (took, body) in zip(CALLERS, burst):
        assert took < SCREEN_DEADLINE + 0.4, (number, took)
        assert body["action"] == "block" and body["verdict"] == "likely_spam", (number, body)
        assert body["complete"] is False
        assert [(m["source"], m["status"]) for m in body["missing"]] == [(f"site{LATE}", "timeout")], body
        assert body["reason"].endswith("(decided before every source answered)"), body["reason"]
    # every site was asked about all three callers at once: the pace did not hold any back
    for i in range(SITES):
        times = [t for t, _ in asked[i]]
        assert sorted(n for _, n in asked[i]) == CALLERS, (i, asked[i])
        assert max(times) - min(times) < 0.5, (i, times)

    await asyncio.sleep(LATE_BY + 0.5)  # the cut-short lookups go on: the late site's answers are stored
    before = {i: len(asked[i]) for i in range(SITES)}
    redials = await asyncio.gather(*(screen(client, n) for n in CALLERS))
    for took, body in redials:
        assert took < 0.5, took
        assert body["action"] == "block" and body["complete"] is True and body["missing"] == [], body
        assert "decided before" not in body["reason"]
    assert {i: len(asked[i]) for i in range(SITES)} == before  # decided from what is stored


async def test_the_burst_allowance_is_bounded_a_fourth_caller_waits_its_turn(client, sites) -> None:
    _, asked = sites
    await asyncio.gather(*(screen(client, n) for n in [*CALLERS, LATE_CALLER]))
    await asyncio.sleep(LATE_BY + 0.5)  # the late site's connections are free again for the fourth
    assert LIVE_BURST == len(CALLERS)
    for i in range(SITES):
        times = sorted(t for t, _ in asked[i])
        assert len(times) == LIVE_BURST + 1, (i, asked[i])
        # three at once, the fourth one interval (1 s at one request a second) after the first
        assert times[LIVE_BURST - 1] - times[0] < 0.5, (i, times)
        assert times[LIVE_BURST] - times[0] >= 0.95, (i, times)

"""Fetcher.download: conditional requests, atomic files, and no half files after a failure."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiohttp import web

from lookup.models import Status
from scrapers.base import FetchError
from scrapers.http import Fetcher

CSV = b"Company_Phone_Number,Created_Date\n2025550123,2025-01-02 10:00:00\n"
ETAG = '"v1"'
MODIFIED = "Thu, 02 Jan 2025 10:00:00 GMT"


async def dataset(request: web.Request) -> web.Response:
    """A CSV that honours If-None-Match, like a well-behaved data portal."""
    if request.headers.get("If-None-Match") == ETAG:
        return web.Response(status=304, headers={"ETag": ETAG})
    return web.Response(body=CSV, headers={"Content-Type": "text/csv", "ETag": ETAG, "Last-Modified": MODIFIED})


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


async def test_download_writes_the_file_and_reports_validators(web_site, fast_settings, tmp_path):
    site = await web_site({"/day.csv": dataset})
    dest = tmp_path / "ftc" / "day.csv"
    async with Fetcher(fast_settings) as fetcher:
        got = await fetcher.download(site.url("/day.csv"), dest)
    assert (got.status, got.path, got.bytes, got.etag, got.last_modified) == (200, dest, len(CSV), ETAG, MODIFIED)
    assert got.content_type == "text/csv"
    assert dest.read_bytes() == CSV
    assert site.log[-1].headers["User-Agent"] == fast_settings.user_agent
    assert leftovers(dest.parent) == []


async def test_unchanged_download_is_304_and_keeps_the_old_file(web_site, fast_settings, tmp_path):
    site = await web_site({"/day.csv": dataset})
    dest = tmp_path / "day.csv"
    dest.write_bytes(b"old copy")
    async with Fetcher(fast_settings) as fetcher:
        got = await fetcher.download(site.url("/day.csv"), dest, etag=ETAG, last_modified=MODIFIED)
    assert (got.status, got.path, got.etag, got.last_modified) == (304, None, ETAG, MODIFIED)
    assert dest.read_bytes() == b"old copy"
    sent = site.log[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == (ETAG, MODIFIED)


@pytest.mark.parametrize("status", [404, 410], ids=["not-found", "gone"])
async def test_missing_download_returns_no_file(web_site, fast_settings, tmp_path, status):
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=status, text="<html>no file for that day</html>", content_type="text/html")

    site = await web_site({"/day.csv": missing})
    dest = tmp_path / "day.csv"
    async with Fetcher(fast_settings) as fetcher:
        got = await fetcher.download(site.url("/day.csv"), dest)
    assert (got.status, got.path, got.bytes) == (status, None, 0)
    assert not dest.exists()
    assert site.hits["/day.csv"] == 1


async def test_cut_short_download_leaves_no_file(raw_site, fast_settings, tmp_path):
    async def cut(connection: int) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n" + CSV

    site = await raw_site(cut)
    dest = tmp_path / "day.csv"
    async with Fetcher(fast_settings) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.download(site.url("/day.csv"), dest, robots=False)
    assert caught.value.status is Status.ERROR and "cut short" in caught.value.reason
    assert site.connections == 3
    assert not dest.exists() and leftovers(tmp_path) == []


async def test_cancelled_download_leaves_the_old_file_alone(web_site, stall, fast_settings, tmp_path):
    started = asyncio.Event()

    async def half_then_silence(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/csv", "Content-Length": str(2 * len(CSV))})
        await resp.prepare(request)
        await resp.write(CSV)
        started.set()
        await stall(request)
        return resp

    site = await web_site({"/day.csv": half_then_silence})
    dest = tmp_path / "day.csv"
    dest.write_bytes(b"yesterday's complete copy")
    async with Fetcher(fast_settings) as fetcher:
        task = asyncio.ensure_future(fetcher.download(site.url("/day.csv"), dest))
        await asyncio.wait_for(started.wait(), 2.0)
        await asyncio.sleep(0.05)  # let the first chunk reach the temporary file
        assert len(leftovers(tmp_path)) == 1  # the half file exists, beside dest and not at it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert dest.read_bytes() == b"yesterday's complete copy"
    assert leftovers(tmp_path) == []


async def test_download_past_its_size_cap_is_an_error(web_site, fast_settings, tmp_path):
    chunk = b"z" * 65536

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/csv"})
        await resp.prepare(request)
        try:
            for _ in range(100):
                await resp.write(chunk)
        except ConnectionError:
            return resp
        return resp

    site = await web_site({"/big.csv": endless})
    dest = tmp_path / "big.csv"
    async with Fetcher(fast_settings) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.download(site.url("/big.csv"), dest, max_bytes=1_000_000)
    assert (caught.value.status, caught.value.reason) == (Status.ERROR, "download larger than 1 MB")
    assert site.hits["/big.csv"] == 1
    assert not dest.exists() and leftovers(tmp_path) == []


async def test_download_retries_a_500_and_respects_the_deadline(web_site, never_answers, fast_settings, tmp_path):
    calls = {"n": 0}

    async def flaky(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return web.Response(status=500, text="oops")
        return await dataset(request)

    site = await web_site({"/day.csv": flaky, "/slow.csv": never_answers})
    loop = asyncio.get_running_loop()
    async with Fetcher(dataclasses.replace(fast_settings, respect_robots=False)) as fetcher:
        got = await fetcher.download(site.url("/day.csv"), tmp_path / "day.csv", deadline=loop.time() + 2.0)
        start = loop.time()
        with pytest.raises(FetchError) as caught:
            await fetcher.download(site.url("/slow.csv"), tmp_path / "slow.csv", deadline=loop.time() + 0.3)
        elapsed = loop.time() - start
    assert (got.status, calls["n"]) == (200, 2)
    assert caught.value.status is Status.TIMEOUT and elapsed < 0.4
    assert not (tmp_path / "slow.csv").exists() and leftovers(tmp_path) == []
